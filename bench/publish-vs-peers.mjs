#!/usr/bin/env node
// `muster publish --via ssh` (the local copy, /etc/muster: host.json, muster.sh,
// inventory.json, per host) timed against `clush --copy` (and pdcp when installed) of the
// same muster.sh on one lab fleet: MATRIX's SYNCALL of dsas.conf. Equal fan-out, cold
// connections (no ControlMaster). Per round: an edit (`muster set`) so the copy changes on
// every host, then a changed publish (3 files per host), an unchanged publish (the copy only
// confirmed: one exec per host), and each peer copying the one file (always written).
// Wall time and client CPU (user+sys of the client's whole process tree, /usr/bin/time).
//
//   npx tsc -p tsconfig.json && flock /tmp/bench.lock node bench/publish-vs-peers.mjs
//   N=10 node bench/publish-vs-peers.mjs          # a quick sanity run
//
// Environment: N hosts (100), ROUNDS (1), FANOUT (= N), TOOLS (muster,clush,pdcp), LAB name
// (bench-publish), KEEP_LAB=1 leaves the lab up. Needs root (the lab). Prints a Markdown
// table; also writes it to bench/results/publish-vs-peers-N.md.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peersTable, timed, whenLabAvailable } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { labUp, labDown, labExec, labUnavailableReason } = await import(join(root, 'dist/lab/index.js'));
const { foldNodeset } = await import(join(root, 'dist/core/nodeset.js'));

const N = Number(process.env.N ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const FANOUT = Number(process.env.FANOUT ?? N);
const LAB = process.env.LAB ?? 'bench-publish';
const wanted = (process.env.TOOLS ?? 'muster,clush,pdcp').split(',');
const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

await whenLabAvailable(labUnavailableReason, main);

async function main() {
  process.stderr.write(`bench: lab "${LAB}" with ${N} hosts…\n`);
  const lab = await labUp({ name: LAB, count: N, roles: ['web', 'db'] });
  const work = await mkdtemp(join(tmpdir(), 'muster-bench-publish-'));
  try {
    const names = lab.hosts.map((host) => host.name);
    const nodeset = foldNodeset(names);
    const sshArgs = `-F ${lab.sshConfigPath} -o ControlMaster=no -o ControlPath=none`;
    const F = String(FANOUT);
    const musterEnv = { MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE: join(work, 'state'), MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
    const muster = (...args) => [process.execPath, join(root, 'bin/muster.js'), ...args];
    const missing = ['clush', 'pdcp'].filter((tool) => wanted.includes(tool) && !has(tool));
    for (const tool of missing) process.stderr.write(`bench: ${tool} is not installed: left out\n`);
    const peers = [
      { name: 'clush', cmd: (src, dest) => ['clush', '-f', F, '-w', nodeset, '-o', sshArgs, '--copy', src, '--dest', dest], env: {} },
      { name: 'pdcp', cmd: (src, dest) => ['pdcp', '-R', 'ssh', '-f', F, '-w', nodeset, src, dest], env: { PDSH_SSH_ARGS_APPEND: sshArgs } },
    ].filter((peer) => wanted.includes(peer.name) && !missing.includes(peer.name));

    const rows = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      const edit = await timed(muster('set', names[0], `vars.bench_round=${round}-${Date.now()}`), musterEnv, work);
      if (!edit.ok) throw new Error(`muster set failed: ${edit.tail}`);
      if (wanted.includes('muster')) {
        record(rows, 'publish, copy changed', 'muster', await timed(muster('publish', '--via', 'ssh', '-f', F), musterEnv, work), round);
        record(rows, 'publish, copy unchanged', 'muster', await timed(muster('publish', '--via', 'ssh', '-f', F), musterEnv, work), round);
      }
      // The peers copy the very muster.sh the publish wrote (to a path of their own).
      const copied = await labExec(LAB, names[0], 'cat /etc/muster/muster.sh');
      const src = join(work, 'muster.sh');
      await writeFile(src, copied.stdout);
      for (const peer of peers) {
        const sample = await timed(peer.cmd(src, `/root/bench-${peer.name}-${round}.sh`), peer.env, work);
        record(rows, 'publish, copy changed', peer.name, sample, round);
        record(rows, 'publish, copy unchanged', peer.name, sample, round);
      }
    }
    const table = formatTable(rows, missing);
    process.stdout.write(`\n${table}`);
    await mkdir(join(root, 'bench/results'), { recursive: true });
    await writeFile(join(root, `bench/results/publish-vs-peers-${N}.md`), table);
  } finally {
    await rm(work, { recursive: true, force: true });
    if (process.env.KEEP_LAB !== '1') await labDown(LAB);
  }
}

function record(rows, operation, tool, sample, round) {
  process.stderr.write(`bench: round ${round}/${ROUNDS} ${operation.padEnd(24)} ${tool.padEnd(7)} ${sample.wall.toFixed(2)}s wall, ${sample.cpu.toFixed(2)}s CPU${sample.ok ? '' : `  FAILED (exit ${sample.code}): ${sample.tail}`}\n`);
  let row = rows.find((candidate) => candidate.operation === operation && candidate.tool === tool);
  if (!row) rows.push((row = { operation, tool, samples: [] }));
  row.samples.push(sample);
}

function formatTable(rows, missing) {
  return [
    `The local copy to ${N} lab hosts, fan-out ${FANOUT}, cold connections, median of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} (${cpus().length} cores; ${new Date().toISOString().slice(0, 10)}).`,
    'muster writes host.json, muster.sh and inventory.json per host (checksum compare, atomic rename; unchanged: compared and touched only);',
    `the peers copy muster.sh alone, always written (the same figure in both rows)${missing.length > 0 ? `; not installed: ${missing.join(', ')}` : ''}.`,
    '',
    ...peersTable(rows),
  ].join('\n');
}
