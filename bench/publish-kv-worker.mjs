// One process of simulated copy keepers for bench/publish-kv.mjs: WATCHERS real `keepCopy`s
// (src/agent/copyKeeper.ts, the agent's own code), each on its own nats.js connection as the
// bench operator (agents' certificates would prove nothing more here: the broker's work per
// watcher is the same consumers and messages).
//
// argv[2] is a JSON file: { servers, cert, key, ca, inbox, names: [host], dir, writeCopy }.
// Sends { t: 'connected' } once its connections are made, starts its keepers on the next
// message ({ t: 'start', version }) and sends { t: 'ready' } once all hold that version; then, asked { t: 'await', version },
// { t: 'reached', revision, at: Date.now() } once its last keeper has that version.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';

const root = fileURLToPath(new URL('..', import.meta.url));
const { keepCopy } = await import(join(root, 'dist/agent/copyKeeper.js'));
const config = JSON.parse(await readFile(process.argv[2], 'utf8'));
const send = (message) => process.send?.(message);

const keepers = [];
const connections = [];
// Every connection first: TLS handshakes while the broker streams 10,000 records to the
// keepers already watching would time out.
for (let count = 0; count < config.names.length; count++) {
  connections.push(await connect({ servers: config.servers, tls: { certFile: config.cert, keyFile: config.key, caFile: config.ca }, inboxPrefix: config.inbox, maxReconnectAttempts: -1, timeout: 20_000 }));
}
// Then the keepers, once every worker is connected (the parent says so, with the version
// they must hold): keepers reading their copies must not starve another worker's TLS handshakes.
send({ t: 'connected' });
const { version } = await new Promise((go) => process.once('message', go));
for (const [index, name] of config.names.entries()) {
  const nc = connections[index];
  // Started STAGGER ms apart (default 100), each once the one before holds the version: a
  // keeper reads its copy on disk (~0.1 s of CPU for 10,000 hosts) or, without one, the
  // bucket; 250 at once in one process would leave their connections unread for seconds.
  await new Promise((wait) => setTimeout(wait, config.stagger ?? 100));
  const keeper = keepCopy({ nc, host: name, dir: join(config.dir, name), writeCopy: config.writeCopy, retryMs: 500, log: (line) => { if (!/written to|no inventory bucket/.test(line)) process.stderr.write(`${name} ${line}\n`); } });
  keepers.push(keeper);
  await keeper.reached(version);
}

process.on('message', async (message) => {
  if (message.t === 'await') {
    await Promise.all(keepers.map((keeper) => keeper.reached(message.version)));
    send({ t: 'reached', revision: message.version.revision, at: Date.now() });
  } else if (message.t === 'stop') {
    await Promise.all(keepers.map((keeper) => keeper.stop()));
    await Promise.all(connections.map((nc) => nc.close()));
    process.exit(0);
  }
});
send({ t: 'ready' });
