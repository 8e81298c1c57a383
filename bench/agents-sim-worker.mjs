// One process of simulated agents for bench/agents-scale.mjs: one real nats.js
// connection per agent, each with its own certificate (mutual TLS), subscribed to its
// own host's subjects as a real agent is (src/transport/nats/protocol.ts), answering
// `ping.get` and `command.run` (`start`, then `exit 0`: the command is not run; what is
// measured is the network, the broker and the caller). Anything else gets the error
// reply a real agent gives.
//
// Spawned with an IPC channel; argv[2] is a JSON file:
//   { servers: [url], ca, agents: [{ name, cert, key }] }
// Sends { t: 'ready', count } once every agent is connected and subscribed,
// { t: 'reconnected', count } once every agent has reconnected after a broker restart
// (counted from the moment the parent sends { t: 'expect-reconnect' }),
// and { t: 'failed', message } when a connection cannot be made.
import { readFile } from 'node:fs/promises';
import { TextDecoder, TextEncoder } from 'node:util';
import { connect } from '@nats-io/transport-node';

const config = JSON.parse(await readFile(process.argv[2], 'utf8'));
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const started = Date.now();

/** The subject token of a name, as core/subjects.ts spells it (the sim names need no escaping, checked). */
function token(name) {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new Error(`sim agent name ${name} would need escaping`);
  return name;
}

function reply(msg, value) {
  msg.respond(encoder.encode(JSON.stringify(value)));
}

function answer(host, msg) {
  const action = msg.subject.split('.').slice(-2).join('.');
  let request;
  try {
    request = JSON.parse(decoder.decode(msg.data));
  } catch {
    reply(msg, { ok: false, host, error: { code: 'bad-request', message: 'the request is not JSON' } });
    return;
  }
  if (action === 'ping.get') {
    reply(msg, { ok: true, host, value: { host, version: 'sim', uptime: 0, agentUptime: Math.round((Date.now() - started) / 1000) } });
  } else if (action === 'command.run') {
    if (typeof request?.id !== 'string') {
      reply(msg, { t: 'error', host, error: { code: 'bad-request', message: 'command.run needs an id' } });
      return;
    }
    reply(msg, { t: 'start', host });
    reply(msg, { t: 'exit', host, exitCode: 0, signal: null });
  } else if (action === 'command.cancel' || action === 'command.stdin') {
    // Nothing runs long enough to cancel or to wait for stdin.
  } else {
    reply(msg, { ok: false, host, error: { code: 'unknown-module', message: `the simulated agent answers ping.get and command.run, not ${action}` } });
  }
}

let expecting = false;
let reconnected = 0;

async function startAgent(agent) {
  const nc = await connect({
    servers: config.servers,
    name: `sim-agent ${agent.name}`,
    tls: { certFile: agent.cert, keyFile: agent.key, caFile: config.ca },
    // As the real agent (src/agent/daemon.ts): never give up on the broker, and spread the
    // reconnects of a whole fleet over a few seconds (2 s + up to 2 s of jitter with TLS).
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 2000,
    reconnectJitter: 1000,
    reconnectJitterTLS: 2000,
    // Many agents in one process: give TLS setup time when the broker is busy.
    timeout: 20_000,
  });
  nc.subscribe(`muster.agent.${token(agent.name)}.>`, { callback: (error, msg) => { if (!error) answer(agent.name, msg); } });
  await nc.flush();
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'reconnect' && expecting) {
        reconnected += 1;
        if (reconnected === config.agents.length) process.send({ t: 'reconnected', count: reconnected });
      }
    }
  })();
  return nc;
}

process.on('message', (message) => {
  if (message?.t === 'expect-reconnect') {
    expecting = true;
    reconnected = 0;
  }
});

try {
  // A few at a time: thousands of TLS handshakes at once only queue up in the broker.
  const queue = [...config.agents];
  const lanes = Array.from({ length: 32 }, async () => {
    for (let agent = queue.shift(); agent; agent = queue.shift()) await startAgent(agent);
  });
  await Promise.all(lanes);
  process.send({ t: 'ready', count: config.agents.length });
} catch (error) {
  process.send({ t: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exitCode = 1;
}
process.on('disconnect', () => process.exit(0));
