/**
 * The in-process ssh transport, as the rest of muster sees it. Inside: `transport.ts` (the
 * factory and the connect over the jump chain), `connection.ts` (one hop), `session.ts`,
 * `identities.ts`, `jumpChain.ts`, `proxyCommand.ts`, `failure.ts`; `config/` (ssh_config
 * files and what they resolve to) and `hostKeys/` (known_hosts and the verify step).
 */
export { sshTransport, type SshTransportOptions } from './transport.js';
export { SshConfigResolver, type SshConfigOptions, type SshSettings } from './config/sshConfig.js';
export { KnownHosts, parseKnownHosts, hashHostName, knownHostName } from './hostKeys/knownHosts.js';
