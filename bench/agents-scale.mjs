#!/usr/bin/env node
// Simulated scale for agents over NATS: N simulated agents (real nats.js connections,
// each with its own real mTLS certificate from the fleet CA, answering ping.get and
// command.run; bench/agents-sim-worker.mjs) in a few processes, one real nats-server
// configured and started by muster's own `brokerUp` (as `muster broker up`),
// and the real CLI timed from outside, after one untimed round of each (its `run all` shown as
// the first one):
//   muster run all --transport nats -- true      (wall, CPU; ROUNDS times, median)
//   muster call all ping.get                      (wall, CPU)
// plus the broker's RSS at N agents (VmRSS) and the time for all N to connect again
// after a broker restart (from the new broker's start until the last agent is back).
//
//   npx tsc -p tsconfig.json && node bench/agents-scale.mjs            # N = 1000, then 5000
//   node bench/agents-scale.mjs 200                                    # one N
//   WORKERS=4 ROUNDS=3 KEEP=1 node bench/agents-scale.mjs 1000
//   PROFILE=1 ROUNDS=1 node bench/agents-scale.mjs 1000              # + a V8 CPU profile of the CLI
//
// Goals (issue 11): 1,000 agents answered in < 0.5 s wall by the whole CLI, 5,000 in < 1.5 s.
// Certificates are made once per N and kept under bench/results/agents-scale/N/.
// Prints a Markdown table; also writes it to bench/results/agents-scale.md.
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { mkdir, readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simFleet, simInventoryText } from './agents-fleet.mjs';
import { median, timed } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const counts = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
const COUNTS = counts.length > 0 ? counts : [1000, 5000];
const WORKERS = Number(process.env.WORKERS ?? 4);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const log = (line) => process.stderr.write(`bench: ${line}\n`);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

const { brokerDown, brokerUp } = await import(join(root, 'dist/broker/process.js'));
const { loadInventory } = await import(join(root, 'dist/inventory/load.js'));

/** The broker as `muster broker up` starts it; resolves with its pid once it accepts clients. */
async function startBroker(inventory, stateDir) {
  const [node] = await brokerUp(inventory, stateDir);
  return node.pid;
}

async function rssMiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]);
  return kib / 1024;
}

/** Starts the workers, each with its share of the agents; resolves when all are connected. */
async function startWorkers(fleet, servers, work, timeoutMs) {
  const share = Math.ceil(fleet.agents.length / WORKERS);
  const workers = [];
  for (let index = 0; index < WORKERS && index * share < fleet.agents.length; index++) {
    const configPath = join(work, `worker-${index}.json`);
    await writeFile(configPath, JSON.stringify({ servers, ca: fleet.ca, agents: fleet.agents.slice(index * share, (index + 1) * share) }));
    workers.push(fork(join(root, 'bench/agents-sim-worker.mjs'), [configPath], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }
  await Promise.all(workers.map((worker) => nextMessage(worker, 'ready', timeoutMs)));
  return workers;
}

function nextMessage(worker, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`no ${type} from a worker within ${timeoutMs / 1000}s`)), timeoutMs);
    const onMessage = (message) => {
      if (message?.t === type) finish(undefined, message);
      else if (message?.t === 'failed') finish(new Error(`a worker failed: ${message.message}`));
    };
    const onExit = (code) => finish(new Error(`a worker exited (${code}) before ${type}`));
    function finish(error, value) {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      if (error) reject(error);
      else resolve(value);
    }
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

/**
 * Asks the first and last agent for ping.get as the operator, straight over nats.js, so a
 * CLI failure below is the CLI's and not the simulated fleet's (certificates, permissions).
 */
async function probe(fleet, servers) {
  const { connect } = await import('@nats-io/transport-node');
  const nc = await connect({ servers, inboxPrefix: `muster.inbox.${fleet.operator.name}`, tls: { certFile: fleet.operator.cert, keyFile: fleet.operator.key, caFile: fleet.ca } });
  try {
    for (const agent of [fleet.agents[0], fleet.agents.at(-1)]) {
      const msg = await nc.request(`muster.agent.${agent.name}.ping.get`, JSON.stringify({ v: 1 }), { timeout: 5000 });
      const reply = msg.json();
      if (reply.ok !== true || reply.host !== agent.name) throw new Error(`${agent.name} answered ${JSON.stringify(reply)}`);
    }
  } finally {
    await nc.close();
  }
}

const seconds = (value) => (value === undefined ? '–' : `${value.toFixed(2)} s`);

async function benchOne(N) {
  const fleet = await simFleet(join(root, 'bench/results/agents-scale', String(N)), N, { log });
  const work = await mkdtemp(join(tmpdir(), 'muster-agents-scale-'));
  const port = await freePort();
  const servers = [`tls://127.0.0.1:${port}`];
  const inventory = join(work, 'muster.yaml');
  await writeFile(inventory, simInventoryText(fleet, servers));
  const loaded = await loadInventory({ path: inventory });
  const env = { MUSTER_INVENTORY: inventory, MUSTER_STATE: fleet.state, MUSTER_OPERATOR: fleet.operator.name, NO_COLOR: '1' };
  await brokerDown(fleet.state);
  let broker = await startBroker(loaded, fleet.state);
  let workers = [];
  const row = { N };
  try {
    let started = performance.now();
    workers = await startWorkers(fleet, servers, work, 120_000 + N * 20);
    row.connect = (performance.now() - started) / 1000;
    log(`${N} agents connected in ${seconds(row.connect)}`);
    row.rss = await rssMiB(broker);
    await probe(fleet, servers);

    const cli = [process.execPath, join(root, 'bin/muster.js')];
    // One untimed round of each, as bench/agents-vs-ssh.mjs does: the inventory's parse cache,
    // and the first requests a freshly started broker and freshly connected agents serve
    // (those took ~0.2 s more than later ones at 1,000 agents). Its times go to `cold`.
    row.cold = await timed([...cli, 'run', 'all', '--transport', 'nats', '-f', String(N), '--', 'true'], env, work);
    await timed([...cli, 'call', 'all', 'ping.get'], env, work);
    // The floor: the same CLI on one agent (start-up, inventory, one TLS connection).
    row.one = await timed([...cli, 'run', fleet.agents[0].name, '--transport', 'nats', '--', 'true'], env, work);
    const runs = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await timed([...cli, 'run', 'all', '--transport', 'nats', '-f', String(N), '--', 'true'], env, work));
    row.run = runs;
    const calls = [];
    for (let round = 0; round < ROUNDS; round++) calls.push(await timed([...cli, 'call', 'all', 'ping.get'], env, work));
    row.call = calls;
    if (process.env.PROFILE) {
      // One more run under the V8 profiler, to see where the CLI's time goes (PROFILE=1).
      const dir = join(root, 'bench/results/profiles');
      await timed([process.execPath, '--cpu-prof', `--cpu-prof-dir=${dir}`, join(root, 'bin/muster.js'), 'run', 'all', '--transport', 'nats', '-f', String(N), '--', 'true'], env, work);
      log(`CPU profile of run all in ${dir}`);
    }
    for (const [what, results] of [['run', runs], ['call', calls]]) {
      const bad = results.find((result) => !result.ok);
      if (bad) log(`${what} exited ${bad.code}: ${bad.tail}`);
    }
    row.rssAfter = await rssMiB(broker);

    // Restart: stop the broker, start it again, time until every agent is back.
    for (const worker of workers) worker.send({ t: 'expect-reconnect' });
    await brokerDown(fleet.state);
    const back = workers.map((worker) => nextMessage(worker, 'reconnected', 120_000 + N * 20));
    started = performance.now();
    broker = await startBroker(loaded, fleet.state);
    await Promise.all(back);
    row.reconnect = (performance.now() - started) / 1000;
    log(`${N} agents reconnected ${seconds(row.reconnect)} after the broker restarted`);
  } finally {
    for (const worker of workers) worker.kill('SIGTERM');
    await brokerDown(fleet.state);
    if (process.env.KEEP) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
  return row;
}

function summary(results) {
  const pick = (results, key) => median(results.map((result) => result[key]));
  const okText = (results) => (results.every((result) => result.ok) ? 'ok' : `exit ${results.find((result) => !result.ok).code}`);
  const lines = [
    `agents over NATS, simulated (${WORKERS} agent processes), one nats-server 2.9, median of ${ROUNDS}`,
    '',
    '| agents | connect (fresh) | `run all -- true` wall | CPU | `call all ping.get` wall | CPU | `run` on 1 agent | first `run all` (untimed round) | broker RSS | reconnect after restart |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of results) {
    lines.push(`| ${row.N} | ${seconds(row.connect)} | ${seconds(pick(row.run, 'wall'))} (${okText(row.run)}) | ${seconds(pick(row.run, 'cpu'))} | ` +
      `${seconds(pick(row.call, 'wall'))} (${okText(row.call)}) | ${seconds(pick(row.call, 'cpu'))} | ${seconds(row.one.wall)} | ${seconds(row.cold.wall)} | ${row.rss.toFixed(0)} MiB (${row.rssAfter.toFixed(0)} after the runs) | ${seconds(row.reconnect)} |`);
  }
  return `${lines.join('\n')}\n`;
}

const results = [];
for (const N of COUNTS) results.push(await benchOne(N));
const table = summary(results);
process.stdout.write(table);
await mkdir(join(root, 'bench/results'), { recursive: true });
await writeFile(join(root, 'bench/results/agents-scale.md'), table);
