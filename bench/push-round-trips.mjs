#!/usr/bin/env node
// Round trips of a push, counted: how many execs (ssh channels, each a remote
// shell) one host costs, for the common cases. The job is the real one (a build's
// dist/ops/task-job.js) over the local transport with every `session.exec`
// counted; the count is the same over ssh, where each exec is a channel open, a
// remote shell start and its exit status on the wire.
//
//   npx tsc -p tsconfig.json && node bench/push-round-trips.mjs
//   BUILD=/work/main node bench/push-round-trips.mjs      # another build, e.g. before a change
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.BUILD ?? fileURLToPath(new URL('..', import.meta.url));
const { prepareTask, pushTask, taskJob } = await import(join(root, 'dist/ops/task-job.js'));
const { localTransport } = await import(join(root, 'dist/transport/local.js'));

const dir = await mkdtemp(join(tmpdir(), 'muster-round-trips-'));
const target = { name: 'local1', address: '127.0.0.1' };

/** Runs one push task on this machine and returns [status, execs]. */
async function count(task) {
  const session = await localTransport().connect(target);
  let execs = 0;
  const counted = { target, exec: (command, options) => { execs += 1; return session.exec(command, options); }, close: () => session.close() };
  try {
    const outcome = await taskJob(await prepareTask(task))(counted, { target, signal: new AbortController().signal, output: { stdout() {}, stderr() {} } });
    return [outcome.status, execs];
  } finally {
    session.close();
  }
}

try {
  const src = join(dir, 'app.conf');
  const tree = join(dir, 'tree');
  await mkdir(join(dir, 'etc'));
  await mkdir(tree);
  await writeFile(join(tree, 'index.html'), 'v1\n');
  const rows = [];
  const row = async (name, make) => rows.push([name, ...(await count(make()))]);
  const dest = (name) => join(dir, 'etc', name);
  await writeFile(src, 'v1\n');
  await row('new file', () => pushTask({ target: ['all'], src, dest: dest('a.conf') }));
  await writeFile(src, 'v2\n');
  await row('changed file (previous kept, then dropped)', () => pushTask({ target: ['all'], src, dest: dest('a.conf') }));
  await row('unchanged file', () => pushTask({ target: ['all'], src, dest: dest('a.conf') }));
  await writeFile(src, 'v3\n');
  await row('changed file, --test true --then true', () => pushTask({ target: ['all'], src, dest: dest('a.conf'), tests: ['true'], then: ['true'] }));
  await writeFile(src, 'v4\n');
  await row('changed file, --test false (rolled back)', () => pushTask({ target: ['all'], src, dest: dest('a.conf'), tests: ['false'] }));
  await row('new tree (-r)', () => pushTask({ target: ['all'], src: tree, dest: dest('tree'), recursive: true }));
  await writeFile(join(tree, 'index.html'), 'v2\n');
  await row('changed tree (-r)', () => pushTask({ target: ['all'], src: tree, dest: dest('tree'), recursive: true }));
  process.stdout.write(`execs per host (${root})\n\n| push | outcome | execs |\n| --- | --- | ---: |\n`);
  for (const [name, status, execs] of rows) process.stdout.write(`| ${name} | ${status} | ${execs} |\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
