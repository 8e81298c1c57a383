/**
 * The push/apply job on this machine through the local transport: the same remote
 * scripts the ssh transport runs on lab hosts (see push.lab.test.ts), checked
 * against real files in a temporary folder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deployData } from '../core/deploy.js';
import { deployMessage } from '../report/deploy.js';
import { localTransport } from '../transport/local.js';
import type { ExecOptions, Session, Target } from '../transport/types.js';
import { prepareTask, pushTask, taskJob } from './task-job.js';
import type { Task } from './task.js';

const target: Target = { name: 'local1', address: '127.0.0.1' };

async function runTask(task: Task, options: { check?: boolean; startedAt?: Date } = {}, wrap: (session: Session, stop: AbortController) => Session = (session) => session) {
  const session = await localTransport().connect(target);
  const stop = new AbortController();
  try {
    const prepared = await prepareTask(task);
    return await taskJob(prepared, options)(wrap(session, stop), { target, signal: stop.signal, output: { stdout: () => undefined, stderr: () => undefined } });
  } finally {
    session.close();
  }
}

describe('task job (local transport)', () => {
  let dir: string;
  let src: string;
  let dest: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'muster-push-'));
    src = join(dir, 'new.conf');
    dest = join(dir, 'etc', 'app.conf');
    await mkdir(join(dir, 'etc'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a missing file with the umask mode, then reports an unchanged push as ok without writing', async () => {
    await writeFile(src, 'v1\n');
    const first = await runTask(pushTask({ target: ['all'], src, dest }));
    assert.equal(first.status, 'changed');
    assert.equal(await readFile(dest, 'utf8'), 'v1\n');
    assert.equal((await stat(dest)).mode & 0o777, 0o644);
    const mtime = (await stat(dest)).mtimeMs;
    const marker = join(dir, 'then-ran');
    const second = await runTask(pushTask({ target: ['all'], src, dest, then: [`touch ${marker}`] }));
    assert.equal(second.status, 'ok');
    assert.equal(second.message, 'unchanged');
    assert.equal((await stat(dest)).mtimeMs, mtime);
    await assert.rejects(stat(marker), /ENOENT/);
    assert.deepEqual((await readdir(join(dir, 'etc'))).sort(), ['app.conf'], 'no temporary or kept file is left behind');
  });

  it('rolls back when the test fails, keeping the test output, and runs no then', async () => {
    await writeFile(dest, 'good\n');
    await writeFile(src, 'broken\n');
    const marker = join(dir, 'reloaded');
    const outcome = await runTask(pushTask({ target: ['all'], src, dest, tests: [`grep -q good ${dest} || { echo "config is broken" >&2; exit 3; }`], then: [`touch ${marker}`] }));
    assert.equal(outcome.status, 'failed');
    assert.deepEqual(outcome.data, deployData('done'), 'tagged as deploy data');
    assert.equal(deployMessage(outcome), 'rolled back');
    assert.equal(outcome.exitCode, 3);
    assert.match(outcome.stderr, /config is broken/);
    assert.equal(await readFile(dest, 'utf8'), 'good\n');
    await assert.rejects(stat(marker), /ENOENT/);
    assert.deepEqual((await readdir(join(dir, 'etc'))).sort(), ['app.conf']);
  });

  it('removes a file that did not exist before when its test fails', async () => {
    const fresh = join(dir, 'etc', 'fresh.conf');
    await writeFile(src, 'x\n');
    const outcome = await runTask(pushTask({ target: ['all'], src, dest: fresh, tests: ['false'] }));
    assert.equal(outcome.data?.rollback, 'done');
    await assert.rejects(stat(fresh), /ENOENT/);
  });

  it('passes the test, runs every then in order, keeps the mode asked and a timestamped backup', async () => {
    await writeFile(dest, 'old\n');
    await writeFile(src, 'new\n');
    const log = join(dir, 'log');
    const outcome = await runTask(
      pushTask({ target: ['all'], src, dest, mode: '0600', backup: true, tests: [`grep -q new ${dest}`], then: [`echo one >> ${log}`, `echo two >> ${log}`] }),
      { startedAt: new Date('2026-11-23T21:30:05Z') },
    );
    assert.equal(outcome.status, 'changed', outcome.message);
    assert.equal(await readFile(dest, 'utf8'), 'new\n');
    assert.equal((await stat(dest)).mode & 0o777, 0o600);
    assert.equal(await readFile(log, 'utf8'), 'one\ntwo\n');
    assert.equal(await readFile(`${dest}.muster-20261123T213005`, 'utf8'), 'old\n');
  });

  it('keeps the mode of the file it replaces when no --mode is given', async () => {
    await writeFile(dest, 'a\n');
    await chmod(dest, 0o640);
    await writeFile(src, 'b\n');
    const outcome = await runTask(pushTask({ target: ['all'], src, dest }));
    assert.equal(outcome.status, 'changed');
    assert.equal((await stat(dest)).mode & 0o777, 0o640);
  });

  it('--check changes nothing and shows a unified diff', async () => {
    await writeFile(dest, 'listen 80;\nroot /srv;\n');
    await writeFile(src, 'listen 8080;\nroot /srv;\n');
    const outcome = await runTask(pushTask({ target: ['all'], src, dest, tests: ['false'] }), { check: true });
    assert.equal(outcome.status, 'changed');
    assert.match(outcome.message ?? '', /^would change/);
    assert.match(outcome.stdout, /^-listen 80;$/m);
    assert.match(outcome.stdout, /^\+listen 8080;$/m);
    assert.match(outcome.stdout, new RegExp(`^--- a${dest}$`, 'm'));
    assert.equal(await readFile(dest, 'utf8'), 'listen 80;\nroot /srv;\n');
  });

  it('fails without touching DEST when the folder cannot be written', { skip: process.getuid?.() === 0 ? 'root can write anywhere; the lab test covers a full disk instead' : false }, async () => {
    const locked = join(dir, 'locked');
    await mkdir(locked);
    await writeFile(join(locked, 'f'), 'old\n');
    await chmod(locked, 0o555);
    await writeFile(src, 'new\n');
    const outcome = await runTask(pushTask({ target: ['all'], src, dest: join(locked, 'f') }));
    assert.equal(outcome.status, 'failed');
    assert.equal(await readFile(join(locked, 'f'), 'utf8'), 'old\n');
  });

  it('never replaces a directory with a file: the file goes into it, as cp does; a directory there too fails', async () => {
    await writeFile(src, 'x\n');
    await mkdir(join(dir, 'into'));
    const outcome = await runTask(pushTask({ target: ['all'], src, dest: join(dir, 'into') }));
    assert.equal(outcome.status, 'changed', outcome.message);
    assert.equal(await readFile(join(dir, 'into', 'new.conf'), 'utf8'), 'x\n');
    await mkdir(join(dir, 'twice', 'new.conf'), { recursive: true });
    const nested = await runTask(pushTask({ target: ['all'], src, dest: join(dir, 'twice') }));
    assert.equal(nested.status, 'failed');
    assert.equal(nested.message, `${join(dir, 'twice', 'new.conf')} is a directory`);
  });

  it('pushes a directory all at once, unchanged the second time, rolled back as a whole', async () => {
    const tree = join(dir, 'tree');
    await mkdir(join(tree, 'sub'), { recursive: true });
    await writeFile(join(tree, 'a.conf'), 'a\n');
    await writeFile(join(tree, 'sub', 'b.conf'), 'b\n');
    await symlink('a.conf', join(tree, 'link'));
    const destDir = join(dir, 'site');
    const first = await runTask(pushTask({ target: ['all'], src: tree, dest: destDir, recursive: true }));
    assert.equal(first.status, 'changed', first.message);
    assert.equal(await readFile(join(destDir, 'sub', 'b.conf'), 'utf8'), 'b\n');
    const second = await runTask(pushTask({ target: ['all'], src: tree, dest: destDir, recursive: true }));
    assert.equal(second.status, 'ok', second.stdout);
    await writeFile(join(tree, 'sub', 'b.conf'), 'B\n');
    const check = await runTask(pushTask({ target: ['all'], src: tree, dest: destDir, recursive: true }), { check: true });
    assert.equal(check.status, 'changed');
    assert.match(check.stdout, /^-b$/m);
    assert.match(check.stdout, /^\+B$/m);
    const failed = await runTask(pushTask({ target: ['all'], src: tree, dest: destDir, recursive: true, tests: ['false'] }));
    assert.equal(failed.data?.rollback, 'done');
    assert.equal(await readFile(join(destDir, 'sub', 'b.conf'), 'utf8'), 'b\n');
    assert.deepEqual((await readdir(dir)).filter((name) => name.includes('muster')), []);
  });

  it('puts every push of a multi-step task back when a later run step fails', async () => {
    const one = join(dir, 'etc', 'one');
    const two = join(dir, 'etc', 'two');
    await writeFile(one, '1\n');
    await writeFile(two, '2\n');
    const srcOne = join(dir, 'one.new');
    const srcTwo = join(dir, 'two.new');
    await writeFile(srcOne, 'ONE\n');
    await writeFile(srcTwo, 'TWO\n');
    const outcome = await runTask({
      target: ['all'],
      steps: [
        { kind: 'push', src: srcOne, dest: one },
        { kind: 'push', src: srcTwo, dest: two },
        { kind: 'run', command: 'echo checking; exit 4' },
      ],
    });
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.data?.rollback, 'done');
    assert.equal(outcome.exitCode, 4);
    assert.match(outcome.message ?? '', /run failed \(exit 4\)/);
    assert.equal(await readFile(one, 'utf8'), '1\n');
    assert.equal(await readFile(two, 'utf8'), '2\n');
  });

  it('says DEST was left as it was when a Ctrl-C cut the stream and the install undid itself (its exit came before the abort)', async () => {
    await writeFile(dest, 'old\n');
    await writeFile(src, 'new content\n');
    // Half the file reaches the host, the install exits on its own ("not N bytes long"), and the run is stopped.
    const cutThenStopped = (session: Session, stop: AbortController): Session => Object.assign(Object.create(session) as Session, {
      exec: async (line: string, options: ExecOptions = {}) => {
        const result = await session.exec(line, options.stdin ? { ...options, stdin: Buffer.from(options.stdin).subarray(0, 4) } : options);
        if (options.stdin) stop.abort();
        return result;
      },
    });
    const outcome = await runTask(pushTask({ target: ['all'], src, dest }), {}, cutThenStopped);
    assert.equal(outcome.status, 'failed');
    assert.match(deployMessage({ message: 'interrupted', data: outcome.data }) ?? '', new RegExp(`^interrupted; ${dest} left as it was$`));
    assert.equal(await readFile(dest, 'utf8'), 'old\n');
    assert.deepEqual((await readdir(join(dir, 'etc'))).filter((name) => name.startsWith('.app.conf.muster-')), []);
  });
});
