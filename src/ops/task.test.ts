import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFileError } from '../core/errors.js';
import { formatTask, loadTask, parseTask, saveTask } from './task.js';
import { pushTask } from './task-job.js';

describe('task files', () => {
  it('parses every step kind and resolves push sources from the task file folder', () => {
    const task = parseTask(
      [
        'version: 1',
        'target: [web, "db&dc=tk1"]',
        'batch: 1,10%',
        'max_fail: 0',
        'steps:',
        '  - push: files/nginx.conf',
        '    dest: /etc/nginx/nginx.conf',
        '    mode: "0644"',
        '    owner: root:root',
        '    backup: true',
        '  - run: uptime',
        '  - test: nginx -t',
        '  - then: nginx -s reload',
        '',
      ].join('\n'),
      '/srv/deploys/site.yaml',
    );
    assert.deepEqual(task, {
      target: ['web', 'db&dc=tk1'],
      batch: '1,10%',
      maxFail: '0',
      steps: [
        { kind: 'push', src: '/srv/deploys/files/nginx.conf', dest: '/etc/nginx/nginx.conf', mode: '0644', owner: 'root:root', backup: true },
        { kind: 'run', command: 'uptime' },
        { kind: 'test', command: 'nginx -t' },
        { kind: 'then', command: 'nginx -s reload' },
      ],
    });
  });

  it('reports every problem at once, each at file:line:col', () => {
    const source = [
      'version: 1',
      'target: web',
      'colour: blue',
      'steps:',
      '  - push: a.conf',
      '    mode: rw',
      '  - restart: nginx',
      '  - run: ls',
      '    test: true',
      '  - push: b.conf',
      '    dest: /x',
      '    dset: /y',
      '',
    ].join('\n');
    assert.throws(() => parseTask(source, 'task.yaml'), (error: unknown) => {
      assert.ok(error instanceof InvalidFileError);
      assert.deepEqual(error.message.split('\n').map((line) => line.trim()), [
        'Cannot load task task.yaml: task.yaml:3:1: unknown key "colour"',
        'task.yaml:5:5: missing "dest"',
        'task.yaml:6:11: mode: must be an octal mode such as "0644"',
        'task.yaml:7:5: a step needs one of push, run, test, then',
        'task.yaml:8:5: a step has one of push, run, test, then, not run and test',
        'task.yaml:12:5: unknown key "dset"',
      ]);
      return true;
    });
  });

  it('names a missing target, a wrong version and YAML syntax errors with their places', () => {
    assert.throws(() => parseTask('version: 2\nsteps: []\n', 't.yaml'), /t\.yaml:1:10: version: must be 1\n\s+t\.yaml:1:1: missing "target"\n\s+t\.yaml:2:8: steps: a task needs at least one step/);
    assert.throws(() => parseTask('version: 1\ntarget: [web\n', 't.yaml'), /t\.yaml:3:1: Flow sequence/);
  });

  it('reads an unquoted mode as the octal digits written (YAML 1.2 reads 0644 as the number 644)', () => {
    const modeOf = (written: string) => {
      const task = parseTask(`version: 1\ntarget: web\nsteps:\n  - push: a\n    dest: /x\n    mode: ${written}\n`, 't.yaml');
      return task.steps[0]?.kind === 'push' ? task.steps[0].mode : undefined;
    };
    // 0644 used to become "1204" (644 in octal): sticky bit, and no read for the group.
    assert.equal(modeOf('0644'), '0644');
    assert.equal(modeOf('644'), '0644');
    assert.equal(modeOf('0o600'), '0600');
    assert.equal(modeOf('"0755"'), '0755');
    assert.throws(() => modeOf('9'), /t\.yaml:6:11: mode: must be an octal mode/);
  });

  it('keeps then steps last', () => {
    assert.throws(() => parseTask('version: 1\ntarget: web\nsteps:\n  - run: ls\n  - then: reload\n  - run: ls\n', 't.yaml'), /t\.yaml:6:5: a run step cannot follow a then step/);
  });

  it('saves what push --save describes, relative to the task file, and loads it back identical', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'muster-task-'));
    try {
      const task = pushTask({
        target: ['web&dc=tk1'], src: join(dir, 'files', 'nginx.conf'), dest: '/etc/nginx/nginx.conf', mode: '0644', owner: 'root',
        backup: true, tests: ['nginx -t'], then: ['nginx -s reload', 'echo done'], batch: '1,10%', maxFail: '1',
      });
      const file = join(dir, 'deploy.yaml');
      await saveTask(task, file);
      assert.match(formatTask(task, file), /push: files\/nginx\.conf/);
      assert.deepEqual(await loadTask(file), task);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a task file that does not exist as an invalid file, not a crash', async () => {
    await assert.rejects(loadTask('/nonexistent/task.yaml'), (error: unknown) => error instanceof InvalidFileError && /no such file/.test(error.message));
  });
});
