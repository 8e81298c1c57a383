#!/usr/bin/env node
// `muster drift` of 20 managed files on N lab hosts, against `ansible-playbook
// --check --diff` with 20 `copy` tasks doing the same comparison on the same
// hosts. The files are first put in place (muster converge), then a few hosts
// are made to drift (2 files on 10% of the hosts: a content change and a mode
// change), so both tools find and show real differences. Equal fan-out; ansible
// keeps its own defaults that favour it (ControlPersist: one connection per host
// across its tasks) plus pipelining. Wall time and client CPU from /usr/bin/time
// (timing.mjs). Run it under the shared lock:
//
//   npx tsc -p tsconfig.json && flock /work/bench.lock node bench/drift-vs-ansible.mjs
//   N=10 TOOLS=muster flock /work/bench.lock node bench/drift-vs-ansible.mjs   # quick
//
// Environment: N hosts (100), FILES (20), ROUNDS (1), FANOUT (= N), TOOLS
// (muster,ansible), LAB (files-bench), KEEP_LAB=1 leaves the lab up. Prints a
// Markdown table; also writes it to bench/results/drift-vs-ansible-N.md.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peersTable, timed, whenLabAvailable } from './timing.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { labUp, labDown, labExec, labUnavailableReason } = await import(join(root, 'dist/lab/index.js'));

const N = Number(process.env.N ?? 100);
const FILES = Number(process.env.FILES ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const FANOUT = Number(process.env.FANOUT ?? N);
const LAB = process.env.LAB ?? 'files-bench';
const wanted = (process.env.TOOLS ?? 'muster,ansible').split(',');

await whenLabAvailable(labUnavailableReason, main);

async function main() {
  process.stderr.write(`bench: lab "${LAB}" with ${N} hosts…\n`);
  const lab = await labUp({ name: LAB, count: N, roles: ['bench'] });
  // Not under /tmp: nothing here is for the lab hosts, but the rule is easy to keep.
  await mkdir('/work/scratch', { recursive: true });
  const work = await mkdtemp('/work/scratch/files-bench-');
  try {
    const paths = [];
    await mkdir(join(work, 'files'), { recursive: true });
    const entries = [];
    for (let index = 1; index <= FILES; index += 1) {
      const name = `f${String(index).padStart(2, '0')}.conf`;
      const lines = Array.from({ length: 40 }, (_, line) => `key_${line} = ${randomBytes(12).toString('hex')}`);
      await writeFile(join(work, 'files', name), `${lines.join('\n')}\n`);
      paths.push({ name, dest: `/etc/bench/${name}` });
      entries.push(`      /etc/bench/${name}: { src: files/${name}, mode: "0644", owner: root:root }`);
    }
    const labInventory = await readFile(lab.inventoryPath, 'utf8');
    const inventory = labInventory
      .replace(/^ssh_config: .*$/m, `ssh_config: ${lab.sshConfigPath}`)
      .replace(/^ {2}bench: \{\}$/m, `  bench:\n    files:\n${entries.join('\n')}`);
    await writeFile(join(work, 'muster.yaml'), inventory);
    const musterEnv = { MUSTER_INVENTORY: join(work, 'muster.yaml'), MUSTER_STATE_DIR: join(work, 'state'), NO_COLOR: '1' };
    const muster = (...args) => [process.execPath, join(root, 'bin/muster.js'), ...args];
    const F = String(FANOUT);

    process.stderr.write('bench: putting the files in place (muster converge), then planting drift…\n');
    await Promise.all(lab.hosts.map((host) => labExec(lab, host.name, 'cat >/dev/null; mkdir -p /etc/bench')));
    // The first converge of every file on every host must land whole (it once lost a race
    // between a settle and its lock holder's exit on a quarter of the hosts).
    const placed = await timed(muster('converge', 'all', '-f', F, '-q'), musterEnv, work);
    if (!placed.ok) throw new Error(`converge failed: ${placed.tail}`);
    process.stderr.write(`bench: first converge of ${FILES} files on ${N} hosts: ${placed.wall.toFixed(2)}s wall\n`);
    const drifting = lab.hosts.filter((_, index) => index % 10 === 0);
    await Promise.all(drifting.map((host) => labExec(lab, host.name, `cat >/dev/null; echo 'local = tweak' >> /etc/bench/f01.conf; chmod 600 /etc/bench/f02.conf`)));

    const ini = join(work, 'ansible.ini');
    await writeFile(ini, `[lab]\n${lab.hosts.map((host) => `${host.name} ansible_host=${host.address}`).join('\n')}\n`);
    const playbook = join(work, 'playbook.yml');
    await writeFile(playbook, [
      '- hosts: all',
      '  gather_facts: false',
      '  tasks:',
      ...paths.flatMap((file) => [
        `    - name: ${file.dest}`,
        `      copy: { src: ${join(work, 'files', file.name)}, dest: ${file.dest}, mode: "0644", owner: root, group: root }`,
      ]),
      '',
    ].join('\n'));
    const controlDir = join(work, 'cp');
    await mkdir(controlDir, { recursive: true });
    const ansibleEnv = {
      ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent', ANSIBLE_NOCOLOR: '1',
      ANSIBLE_PIPELINING: 'True', ANSIBLE_LOCAL_TEMP: join(work, 'ansible-local'),
      ANSIBLE_SSH_ARGS: `-F ${lab.sshConfigPath} -o ControlMaster=auto -o ControlPersist=60s`,
      ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    };
    const tools = [
      // Exit 1 is drift found: what is expected here.
      { name: 'muster', cmd: muster('drift', 'all', '-f', F), env: musterEnv, okCodes: [1] },
      { name: 'ansible', cmd: ['ansible-playbook', '-i', ini, '-f', F, '--check', '--diff', playbook], env: ansibleEnv, okCodes: [0, 2] },
    ].filter((tool) => wanted.includes(tool.name));

    const rows = [];
    const operation = `drift of ${FILES} files`;
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const tool of tools) {
        const sample = await timed(tool.cmd, tool.env, work);
        sample.ok = tool.okCodes.includes(sample.code);
        process.stderr.write(`bench: round ${round}/${ROUNDS} ${tool.name.padEnd(7)} ${sample.wall.toFixed(2)}s wall, ${sample.cpu.toFixed(2)}s CPU${sample.ok ? '' : `  FAILED (exit ${sample.code}): ${sample.tail}`}\n`);
        let row = rows.find((candidate) => candidate.tool === tool.name);
        if (!row) rows.push((row = { operation, tool: tool.name, samples: [] }));
        row.samples.push(sample);
      }
    }
    const table = [
      `${FILES} managed files on ${N} lab hosts (${drifting.length} hosts drifted on 2 files), fan-out ${FANOUT}, median of ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} (${cpus().length} cores; ${new Date().toISOString().slice(0, 10)})`,
      '',
      ...peersTable(rows),
    ].join('\n');
    process.stdout.write(`\n${table}`);
    await mkdir(join(root, 'bench/results'), { recursive: true });
    await writeFile(join(root, `bench/results/drift-vs-ansible-${N}.md`), table);
  } finally {
    await rm(work, { recursive: true, force: true });
    if (process.env.KEEP_LAB !== '1') await labDown(LAB);
  }
}
