/**
 * The ssh_config keywords OpenSSH 9.2 knows (readconf.c's `keywords[]`, plus the ones Debian's
 * patches add), so that an unknown keyword is refused as `ssh` refuses it, and the aliases of
 * the keywords muster reads, so that `IdentityFile2` counts as `IdentityFile`.
 */

/** Every keyword `ssh` accepts, lowercased; muster reads only `USED`, the rest are parsed and skipped. */
const KNOWN = new Set(`
addkeystoagent addressfamily afstokenpassing batchmode bindaddress bindinterface canonicaldomains
canonicalizefallbacklocal canonicalizehostname canonicalizemaxdots canonicalizepermittedcnames
casignaturealgorithms certificatefile challengeresponseauthentication checkhostip cipher ciphers
clearallforwardings compression compressionlevel connectionattempts connecttimeout controlmaster
controlpath controlpersist dsaauthentication dynamicforward enableescapecommandline
enablesshkeysign escapechar exitonforwardfailure fallbacktorsh fingerprinthash
forkafterauthentication forwardagent forwardx11 forwardx11timeout forwardx11trusted gatewayports
globalknownhostsfile globalknownhostsfile2 gssapiauthentication gssapidelegatecredentials
hashknownhosts host hostbasedacceptedalgorithms hostbasedauthentication hostbasedkeytypes
hostkeyalgorithms hostkeyalias hostname identitiesonly identityagent identityfile identityfile2
ignoreunknown include ipqos kbdinteractiveauthentication kbdinteractivedevices keepalive
kerberosauthentication kerberostgtpassing kexalgorithms knownhostscommand localcommand localforward
loglevel logverbose macs match nohostauthenticationforlocalhost numberofpasswordprompts
passwordauthentication permitlocalcommand permitremoteopen pkcs11provider port
preferredauthentications protocol proxycommand proxyjump proxyusefdpass pubkeyacceptedalgorithms
pubkeyacceptedkeytypes pubkeyauthentication rekeylimit remotecommand remoteforward requesttty
requiredrsasize revokedhostkeys rhostsauthentication rhostsrsaauthentication rsaauthentication
securitykeyprovider sendenv serveralivecountmax serveraliveinterval sessiontype setenv
skeyauthentication smartcarddevice stdinnull streamlocalbindmask streamlocalbindunlink
stricthostkeychecking syslogfacility tcpkeepalive tisauthentication tunnel tunneldevice
updatehostkeys useprivilegedport user userknownhostsfile userknownhostsfile2 useroaming usersh
verifyhostkeydns visualhostkey xauthlocation
gssapiclientidentity gssapikeyexchange gssapikexalgorithms gssapirenewalforcesrekey
gssapiserveridentity gssapitrustdns protocolkeepalives setuptimeout useblacklistedkeys
`.split(/\s+/).filter((word) => word !== ''));

/** The keywords whose values muster uses, by the name muster calls them. */
export type UsedKeyword =
  | 'host' | 'match' | 'include' | 'hostname' | 'user' | 'port' | 'identityfile' | 'identitiesonly'
  | 'proxycommand' | 'proxyjump' | 'userknownhostsfile' | 'globalknownhostsfile' | 'hostkeyalias'
  | 'stricthostkeychecking' | 'connecttimeout' | 'ignoreunknown' | 'canonicalizehostname';

const USED: ReadonlySet<string> = new Set<UsedKeyword>([
  'host', 'match', 'include', 'hostname', 'user', 'port', 'identityfile', 'identitiesonly',
  'proxycommand', 'proxyjump', 'userknownhostsfile', 'globalknownhostsfile', 'hostkeyalias',
  'stricthostkeychecking', 'connecttimeout', 'ignoreunknown', 'canonicalizehostname',
]);

/** Other names OpenSSH gives a used keyword (obsolete spellings it still reads). */
const ALIASES: Readonly<Record<string, UsedKeyword>> = { identityfile2: 'identityfile' };

/** What a (lowercased) keyword is: one muster uses, one it skips, or one `ssh` does not know. */
export type KeywordKind = { kind: 'used'; name: UsedKeyword } | { kind: 'other' } | { kind: 'unknown' };

export function keywordKind(keyword: string): KeywordKind {
  const alias = ALIASES[keyword];
  if (alias !== undefined) return { kind: 'used', name: alias };
  if (USED.has(keyword)) return { kind: 'used', name: keyword as UsedKeyword };
  return KNOWN.has(keyword) ? { kind: 'other' } : { kind: 'unknown' };
}
