#!/usr/bin/env node
// SYNCALL and DIFFALL timed against the peers on one lab fleet: push a 1 MB file
// to every host (muster push vs clush --copy, pdcp, parallel-scp), check it is
// the same everywhere (muster diff vs clush -b md5sum), then push another file of
// the same size over it (a changed config: muster compares and keeps the old file
// until the rename; the peers write over it). Equal fan-out, cold connections (no
// ControlMaster), a destination new to the lab per tool, round and run (KEEP_LAB
// reruns too), so every tool really writes. Wall time and client CPU (user+sys of the client's whole
// process tree, from /usr/bin/time). One round by default, as the issue asks.
//
//   npx tsc -p tsconfig.json && node bench/push-vs-peers.mjs
//   N=10 node bench/push-vs-peers.mjs                    # a quick sanity run
//   TOOLS=muster,clush ROUNDS=3 KEEP_LAB=1 node bench/push-vs-peers.mjs
//
// Environment: N hosts (100), ROUNDS (1), FANOUT (= N), SIZE bytes (1048576),
// TOOLS (muster,clush,pdcp,pscp), LAB name (bench-push), KEEP_LAB=1 leaves the
// lab up. Needs root (the lab). Prints a Markdown table; also writes it to
// bench/results/push-vs-peers-N.md.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peersTable, timed, whenLabAvailable } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { labUp, labDown, labUnavailableReason } = await import(join(root, 'dist/lab/index.js'));
const { foldNodeset } = await import(join(root, 'dist/core/nodeset.js'));

const N = Number(process.env.N ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const FANOUT = Number(process.env.FANOUT ?? N);
const SIZE = Number(process.env.SIZE ?? 1024 * 1024);
const LAB = process.env.LAB ?? 'bench-push';
const wanted = (process.env.TOOLS ?? 'muster,clush,pdcp,pscp').split(',');

await whenLabAvailable(labUnavailableReason, main);

async function main() {
  process.stderr.write(`bench: lab "${LAB}" with ${N} hosts…\n`);
  const lab = await labUp({ name: LAB, count: N });
  const work = await mkdtemp(join(tmpdir(), 'muster-bench-push-'));
  let cleanUp = async () => {};
  try {
    const names = lab.hosts.map((host) => host.name);
    const nodeset = foldNodeset(names);
    const hostsFile = join(work, 'hosts.txt');
    await writeFile(hostsFile, `${names.join('\n')}\n`);
    // Text-like content (base64 of random bytes): a config-sized payload, incompressible.
    const payload = join(work, 'payload.txt');
    const changed = join(work, 'changed.txt');
    for (const file of [payload, changed]) await writeFile(file, randomBytes(Math.ceil((SIZE * 3) / 4)).toString('base64').slice(0, SIZE));
    const run = randomBytes(3).toString('hex');
    const sshArgs = `-F ${lab.sshConfigPath} -o ControlMaster=no -o ControlPath=none`;
    const F = String(FANOUT);
    const musterEnv = { MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
    const muster = (...args) => [process.execPath, join(root, 'bin/muster.js'), ...args];
    // A kept lab's hosts hold their files in memory (tmpfs): 100 MB per tool and round here.
    cleanUp = () => timed(muster('run', 'all', '-f', F, '--', `rm -f /root/bench-${run}-*`), musterEnv, work);

    // Each operation: the tools that do it; a push is a function of (local file, remote path).
    const operations = [
      {
        name: 'push 1 file',
        tools: [
          { name: 'muster', cmd: (source, dest) => muster('push', 'all', source, dest, '-f', F), env: musterEnv },
          { name: 'clush', cmd: (source, dest) => ['clush', '-f', F, '-w', nodeset, '-o', sshArgs, '--copy', source, '--dest', dest], env: {} },
          { name: 'pdcp', cmd: (source, dest) => ['pdcp', '-R', 'ssh', '-f', F, '-w', nodeset, source, dest], env: { PDSH_SSH_ARGS_APPEND: sshArgs } },
          { name: 'pscp', cmd: (source, dest) => ['parallel-scp', '-p', F, '-h', hostsFile, '-x', sshArgs, source, dest], env: {} },
        ],
      },
      {
        name: 'same everywhere?',
        tools: [
          { name: 'muster', cmd: (dest) => muster('diff', 'all', dest, '-f', F), env: musterEnv },
          { name: 'clush', cmd: (dest) => ['clush', '-b', '-f', F, '-w', nodeset, '-o', sshArgs, 'md5sum', dest], env: {} },
        ],
      },
    ];

    const rows = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const tool of operations[0].tools.filter((candidate) => wanted.includes(candidate.name))) {
        const dest = `/root/bench-${run}-${tool.name}-${round}.txt`;
        const pushed = await timed(tool.cmd(payload, dest), tool.env, work);
        record(rows, operations[0].name, tool.name, pushed, round);
        // Diff what this tool pushed: every tool that can compare, on the same file.
        if (tool.name === 'muster') {
          for (const checker of operations[1].tools.filter((candidate) => wanted.includes(candidate.name))) {
            record(rows, operations[1].name, checker.name, await timed(checker.cmd(dest), checker.env, work), round);
          }
        }
        record(rows, 'push over a changed file', tool.name, await timed(tool.cmd(changed, dest), tool.env, work), round);
      }
    }

    const table = formatTable(rows);
    process.stdout.write(`\n${table}`);
    await mkdir(join(root, 'bench/results'), { recursive: true });
    await writeFile(join(root, `bench/results/push-vs-peers-${N}.md`), table);
  } finally {
    if (process.env.KEEP_LAB === '1') await cleanUp();
    await rm(work, { recursive: true, force: true });
    if (process.env.KEEP_LAB !== '1') await labDown(LAB);
  }
}

function record(rows, operation, tool, sample, round) {
  process.stderr.write(`bench: round ${round}/${ROUNDS} ${operation.padEnd(16)} ${tool.padEnd(7)} ${sample.wall.toFixed(2)}s wall, ${sample.cpu.toFixed(2)}s CPU${sample.ok ? '' : `  FAILED (exit ${sample.code}): ${sample.tail}`}\n`);
  let row = rows.find((candidate) => candidate.operation === operation && candidate.tool === tool);
  if (!row) rows.push((row = { operation, tool, samples: [] }));
  row.samples.push(sample);
}

function formatTable(rows) {
  return [
    `${(SIZE / 1048576).toFixed(SIZE % 1048576 ? 2 : 0)} MB file to ${N} lab hosts, fan-out ${FANOUT}, cold connections, median of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} (${cpus().length} cores; ${new Date().toISOString().slice(0, 10)})`,
    '',
    ...peersTable(rows),
  ].join('\n');
}
