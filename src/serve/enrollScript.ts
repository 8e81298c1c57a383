/**
 * `enroll.sh`: the POSIX sh script an installer runs in the installed system so the host's
 * agent joins the fleet (docs/provision.md, "Agents from the installer"). It does what
 * `muster agent enroll` does (src/agent/enroll.ts) and what `muster agent install` does
 * after it: writes `ca.crt` and `agent.json`, makes the key under umask 077 (kept when there
 * is one: a second run asks again with the same key), a CSR naming the host, POSTs the CSR
 * to `…/enroll`, and writes `agent.crt` when signed (200) or says it is pending (202).
 *
 * Everything that comes from the inventory or the request is either shell-quoted
 * (`shellQuote`) or inside a quoted heredoc, where nothing is expanded. Serve's bearer token
 * never reaches the host: when serve has one, the URL carries the host's own key instead
 * (provision/hostKey.ts), which opens nothing once the host is installed. The work is one function
 * called on the last line, so a script cut short in transfer runs nothing.
 */
import { shellQuote } from '../core/shell.js';
import { MusterError } from '../core/errors.js';

/** What the script is made of. */
export interface EnrollScriptInput {
  /** The host's inventory name: the CSR's CN and agent.json's name. */
  host: string;
  roles: readonly string[];
  servers: readonly string[];
  /** The fleet CA's certificate, PEM. */
  caCert: string;
  /** Where the CSR is POSTed: `…/v1/provision/HOST/enroll`, or `…/HOST/KEY/enroll` with the host's key. */
  enrollUrl: string;
}

/** The agent folder when `MUSTER_AGENT_DIR` does not say (the packaged unit's). */
export const enrollDefaultDir = '/etc/muster-agent';

/**
 * A quoted heredoc carrying `text` verbatim: `<<'WORD'`, so no `$`, backquote or backslash
 * in it is expanded. A line equal to the word would end it early: refused (a PEM or JSON
 * document never has one).
 */
function heredoc(word: string, text: string): string {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  if (body.split('\n').includes(word)) throw new MusterError(`Cannot embed a file holding the line ${word} in enroll.sh`);
  return `<<'${word}'\n${body}${word}`;
}

/** The text of `enroll.sh` for one host (see the file comment). */
export function enrollScript(input: EnrollScriptInput): string {
  const agentJson = `${JSON.stringify({ name: input.host, servers: input.servers, roles: input.roles }, null, 2)}\n`;
  return [
    '#!/bin/sh',
    `# muster: enrolls the agent of ${input.host.replace(/[^A-Za-z0-9._-]/g, '?')} with the fleet CA, from its installer (muster serve).`,
    '# Run as root in the installed system. The key is made here and never leaves this host: only',
    '# its CSR travels. The folder is $MUSTER_AGENT_DIR, else /etc/muster-agent.',
    'set -u',
    `host=${shellQuote(input.host)}`,
    `url=${shellQuote(input.enrollUrl)}`,
    'answer=',
    'dir=',
    'say() { printf \'muster enroll: %s\\n\' "$*"; }',
    '# A file written whole or not at all: a temp beside it, then a rename.',
    'put() { cat > "$1.new" && mv -f "$1.new" "$1"; }',
    'cleanup() { rm -f "$answer"; [ -z "$dir" ] || rm -f "$dir/agent.crt.new" "$dir/agent.key.new"; }',
    'trap cleanup EXIT',
    'main() {',
    `  dir=\${MUSTER_AGENT_DIR:-${enrollDefaultDir}}`,
    '  umask 022',
    '  mkdir -p "$dir" || return 1',
    `  put "$dir/ca.crt" ${heredoc('MUSTER_CA_CRT', input.caCert)}`,
    '  [ $? -eq 0 ] || return 1',
    `  put "$dir/agent.json" ${heredoc('MUSTER_AGENT_JSON', agentJson)}`,
    '  [ $? -eq 0 ] || return 1',
    '  # The key: made once, 0600 from its first byte; a second run keeps it (the CA keeps one key per host).',
    '  if [ ! -s "$dir/agent.key" ]; then',
    '    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/agent.key.new" 2>/dev/null && mv -f "$dir/agent.key.new" "$dir/agent.key") || { say "$host: cannot make the key in $dir (is openssl installed?)" >&2; return 1; }',
    '  fi',
    '  openssl req -new -key "$dir/agent.key" -subj "/O=muster/OU=agent/CN=$host" -out "$dir/agent.csr" || return 1',
    '  answer=$(mktemp) || return 1',
    '  code=$(curl -sS -o "$answer" -w \'%{http_code}\' -X POST -H \'Content-Type: application/pkcs10\' --data-binary "@$dir/agent.csr" "$url")',
    '  case $code in',
    '    200)',
    '      cat "$answer" > "$dir/agent.crt.new" || return 1',
    '      # What came back must be a certificate of this CA for this key, or nothing is written.',
    '      openssl verify -CAfile "$dir/ca.crt" "$dir/agent.crt.new" >/dev/null || { say "$host: the certificate served does not verify against ca.crt; not written" >&2; return 1; }',
    '      [ "$(openssl x509 -in "$dir/agent.crt.new" -noout -pubkey)" = "$(openssl pkey -in "$dir/agent.key" -pubout)" ] || { say "$host: the certificate served is not for this key; not written" >&2; return 1; }',
    '      mv -f "$dir/agent.crt.new" "$dir/agent.crt" || return 1',
    '      say "$host: signed ($(openssl x509 -in "$dir/agent.crt" -noout -serial)); wrote $dir/agent.crt"',
    '      # The packaged unit reads /etc/muster-agent; enabled, it starts at the next boot.',
    `      if [ "$dir" = ${enrollDefaultDir} ] && command -v muster-agent >/dev/null 2>&1 && command -v systemctl >/dev/null 2>&1; then`,
    '        if systemctl enable muster-agent.service >/dev/null 2>&1; then say "$host: muster-agent.service enabled"; else say "$host: could not enable muster-agent.service" >&2; fi',
    '      fi',
    '      ;;',
    '    202) say "$(cat "$answer")" ;;',
    '    000) say "$host: cannot reach $url" >&2; return 1 ;;',
    '    *) say "$(cat "$answer") (HTTP $code)" >&2; return 1 ;;',
    '  esac',
    '}',
    'main',
    '',
  ].join('\n');
}
