#!/usr/bin/env node
// `hostname` on every host of one lab fleet, timed with muster and its peers —
// clush, pdsh, parallel-ssh (pssh) and `ansible -m command` — at equal fan-out,
// on cold connections (no ControlMaster), several rounds, median reported.
// Wall time and client CPU (user+sys of the client's whole process tree, from
// /usr/bin/time, which counts every descendant the client waited for).
//
//   npx tsc -p tsconfig.json && node bench/run-vs-peers.mjs
//   N=10 ROUNDS=1 node bench/run-vs-peers.mjs          # a quick sanity run
//   TOOLS=muster,clush KEEP_LAB=1 node bench/run-vs-peers.mjs
//
// Environment: N hosts (100), ROUNDS (3), FANOUT (= N), TOOLS (all five),
// LAB name (bench-peers), KEEP_LAB=1 leaves the lab up. Needs root (the lab).
// Prints a Markdown table; also writes it to bench/results/run-vs-peers-N.md.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, ratio, timed, whenLabAvailable } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { labUp, labDown, labUnavailableReason } = await import(join(root, 'dist/lab/index.js'));
const { foldNodeset } = await import(join(root, 'dist/core/nodeset.js'));

const N = Number(process.env.N ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const FANOUT = Number(process.env.FANOUT ?? N);
const LAB = process.env.LAB ?? 'bench-peers';
const wanted = (process.env.TOOLS ?? 'muster,clush,pdsh,pssh,ansible').split(',');

await whenLabAvailable(labUnavailableReason, main);

async function main() {
  process.stderr.write(`bench: lab "${LAB}" with ${N} hosts…\n`);
  const lab = await labUp({ name: LAB, count: N });
  const work = await mkdtemp(join(tmpdir(), 'muster-bench-'));
  try {
    const names = lab.hosts.map((host) => host.name);
    const nodeset = foldNodeset(names);
    const hostsFile = join(work, 'hosts.txt');
    const ini = join(work, 'ansible.ini');
    await writeFile(hostsFile, `${names.join('\n')}\n`);
    await writeFile(ini, `[lab]\n${lab.hosts.map((host) => `${host.name} ansible_host=${host.address}`).join('\n')}\n`);
    // The lab's ssh_config has the key, known_hosts and user; no connection sharing anywhere.
    const sshArgs = `-F ${lab.sshConfigPath} -o ControlMaster=no -o ControlPath=none`;
    const F = String(FANOUT);

    const tools = [
      {
        name: 'muster',
        cmd: [process.execPath, join(root, 'bin/muster.js'), 'run', 'all', '-f', F, '--', 'hostname'],
        env: { MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' },
      },
      { name: 'clush', cmd: ['clush', '-f', F, '-w', nodeset, '-o', sshArgs, 'hostname'], env: {} },
      { name: 'pdsh', cmd: ['pdsh', '-S', '-R', 'ssh', '-f', F, '-w', nodeset, 'hostname'], env: { PDSH_SSH_ARGS_APPEND: sshArgs } },
      { name: 'pssh', cmd: ['parallel-ssh', '-p', F, '-h', hostsFile, '-x', sshArgs, 'hostname'], env: {} },
      {
        name: 'ansible',
        cmd: ['ansible', 'all', '-i', ini, '-m', 'command', '-a', 'hostname', '-f', F],
        env: {
          ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_SSH_ARGS: sshArgs, ANSIBLE_PYTHON_INTERPRETER: 'auto_silent',
          ANSIBLE_NOCOLOR: '1', ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
        },
      },
    ].filter((tool) => wanted.includes(tool.name));

    const samples = new Map(tools.map((tool) => [tool.name, []]));
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const tool of tools) {
        const sample = await timed(tool.cmd, tool.env, work);
        samples.get(tool.name).push(sample);
        process.stderr.write(`bench: round ${round}/${ROUNDS} ${tool.name.padEnd(7)} ${sample.wall.toFixed(2)}s wall, ${sample.cpu.toFixed(2)}s CPU${sample.ok ? '' : `  FAILED (exit ${sample.code}): ${sample.tail}`}\n`);
      }
    }

    const rows = tools.map((tool) => {
      const list = samples.get(tool.name);
      return { name: tool.name, wall: median(list.map((s) => s.wall)), cpu: median(list.map((s) => s.cpu)), ok: list.every((s) => s.ok) };
    });
    const muster = rows.find((row) => row.name === 'muster');
    const lines = [
      `\`hostname\` on ${N} lab hosts, fan-out ${FANOUT}, cold connections, median of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} (${cpus().length} cores; ${new Date().toISOString().slice(0, 10)})`,
      '',
      '| tool | wall (s) | client CPU (s) | muster wall ratio | muster CPU ratio |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...rows.map((row) => `| ${row.name}${row.ok ? '' : ' (errors)'} | ${row.wall.toFixed(2)} | ${row.cpu.toFixed(2)} | ${muster ? ratio(muster.wall, row.wall) : '–'} | ${muster ? ratio(muster.cpu, row.cpu) : '–'} |`),
      '',
    ];
    const table = lines.join('\n');
    process.stdout.write(`\n${table}`);
    await mkdir(join(root, 'bench/results'), { recursive: true });
    await writeFile(join(root, `bench/results/run-vs-peers-${N}.md`), table);
  } finally {
    await rm(work, { recursive: true, force: true });
    if (process.env.KEEP_LAB !== '1') await labDown(LAB);
  }
}
