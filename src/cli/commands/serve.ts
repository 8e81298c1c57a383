/**
 * `muster serve`: the metadata HTTP server. Runs until SIGTERM or SIGINT, then
 * stops gracefully (watchers answered, open requests finished) and exits 0.
 */
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { createAccessLog, defaultPort, parseListen, startServer, type ServeOptions } from '../../serve/index.js';
import { newCommand, type GlobalOptions } from '../globals.js';
import { serveEnroller } from '../serveEnroll.js';
import { readOptionFile, readTokenFile } from '../tokenFile.js';
import { bucketSourceOpener } from './serveFromKv.js';

interface ServeCommandOptions extends GlobalOptions {
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
  tokenFile?: string;
  watch: boolean;
  fromKv?: boolean;
  operator?: string;
  broker?: string;
  ui?: boolean;
  provisionDir?: string;
  provisionUrl?: string;
  dnsmasqPidFile?: string;
  bootFiles?: string;
}

/** The `serve` command. */
export function command(): Command {
  const cmd = newCommand('serve', 'metadata HTTP server')
    .addOption(new Option('--listen <addr>', `address to bind: PORT, HOST:PORT or [IPV6]:PORT (default 127.0.0.1:${defaultPort})`))
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (chain)')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert')
    .option('--client-ca <file>', 'require client certificates signed by this PEM CA (needs --tls-cert)')
    .option('--token-file <file>', 'require "Authorization: Bearer TOKEN", the token read from this file (not for /v1/health)')
    .option('--ui', 'also serve a web view of the fleet at /ui/ (same address, TLS and token; docs/ui.md)')
    .option('--no-watch', 'do not watch the inventory files for edits')
    .option('--from-kv', 'answer from the KV bucket muster publish writes, not the inventory files')
    .option('--operator <name>', 'with --from-kv: the operator certificate to read the bucket with (default $MUSTER_OPERATOR, else the only one)')
    .option('--broker <urls>', 'with --from-kv: the broker (tls://HOST:PORT, comma-separated), read from no inventory')
    .option('--provision-dir <dir>', 'keep this network-boot tree as `muster provision sync -o DIR` writes it, at start and after every reload (docs/provision.md)')
    .option('--provision-url <url>', 'with --provision-dir: this server\'s URL as installers reach it (sync\'s --url)')
    .option('--dnsmasq-pid-file <file>', 'with --provision-dir: SIGHUP this dnsmasq when only the reservations changed (sync\'s --pid-file)')
    .option('--boot-files <dir>', 'with --provision-dir: where profiles\' kernel/initrd paths are found (sync\'s --boot-files)')
    .addHelpText('after', `
Routes (GET/HEAD; add .json, .yaml or .sh, or ?format=, or an Accept header):
  /v1/hosts[/HOST[/PROPERTY]]  /v1/roles[/ROLE[/PROPERTY]]  /v1/groups[/GROUP[/PROPERTY]]
  /v1/select?q=SELECTOR  /v1/sd/prometheus?sel=SELECTOR&port=N  /v1/status  /v1/health  /ROLE/PROPERTY
Blocking queries: ?index=N&wait=30s waits for the next inventory version (X-Muster-Index;
with --from-kv, the bucket's published revision).
The access log (one line per request) goes to stderr; --json makes it JSON Lines; -q turns it off.`);
  return cmd.action(async () => {
    const options = cmd.opts<ServeCommandOptions>();
    const listen = options.listen === undefined ? { host: '127.0.0.1', port: defaultPort } : parseListen(options.listen, defaultPort);
    if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
    if (options.clientCa !== undefined && options.tlsCert === undefined) throw new UsageError('--client-ca needs --tls-cert and --tls-key (client certificates are a TLS feature)');
    const serveOptions: ServeOptions = {
      host: listen.host,
      port: listen.port,
      watch: options.watch,
      ui: options.ui === true,
      accessLog: options.quiet ? false : createAccessLog({ json: options.json === true }),
      // The installer's agent enrollment (docs/provision.md): the fleet CA of this machine's state folder.
      enroller: serveEnroller(),
    };
    if (options.fromKv !== true && (options.operator !== undefined || options.broker !== undefined)) throw new UsageError('--operator and --broker go with --from-kv');
    if (options.provisionDir === undefined && (options.provisionUrl ?? options.dnsmasqPidFile ?? options.bootFiles) !== undefined) throw new UsageError('--provision-url, --dnsmasq-pid-file and --boot-files go with --provision-dir');
    if (options.provisionDir !== undefined) {
      // Templates and boot files are found beside the inventory files, which a bucket has not.
      if (options.fromKv === true) throw new UsageError('--provision-dir keeps the tree from the inventory files, not from --from-kv');
      serveOptions.provision = {
        dir: options.provisionDir,
        ...(options.provisionUrl !== undefined ? { url: options.provisionUrl } : {}),
        ...(options.dnsmasqPidFile !== undefined ? { pidFile: options.dnsmasqPidFile } : {}),
        ...(options.bootFiles !== undefined ? { bootFiles: options.bootFiles } : {}),
      };
    }
    if (options.fromKv === true) {
      if (options.broker !== undefined && options.inventory !== undefined) throw new UsageError('--from-kv takes the broker from -i or from --broker, not both');
      serveOptions.openSource = await bucketSourceOpener({ inventory: options.inventory, operator: options.operator, broker: options.broker });
    } else if (options.inventory !== undefined) serveOptions.inventory = { path: options.inventory };
    if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
      serveOptions.tls = { cert: readOptionFile(options.tlsCert, '--tls-cert'), key: readOptionFile(options.tlsKey, '--tls-key') };
      if (options.clientCa !== undefined) serveOptions.tls.clientCa = readOptionFile(options.clientCa, '--client-ca');
    }
    if (options.tokenFile !== undefined) serveOptions.token = readTokenFile(options.tokenFile);
    const controller = new AbortController();
    const stop = (): void => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      serveOptions.signal = controller.signal;
      const server = await startServer(serveOptions);
      await server.closed;
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
  });
}
