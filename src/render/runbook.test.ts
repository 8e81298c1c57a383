import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidFileError, OptionError } from '../core/errors.js';
import { cliMessage } from '../cli/optionFlags.js';
import { fixtureInventory } from './fixture.test-helper.js';
import { applySetValues, renderRunbook, runbookValues } from './runbook.js';
import { runSteps, type StepAnswer } from './runbook-run.js';
import { runbookSteps } from './runbook-steps.js';

const inventory = fixtureInventory();

test('values: *_host becomes the host, *_hosts a list from a selector or names, exact host names too', () => {
  const values = runbookValues(inventory, {
    src_host: 'web001.example.lan',
    peer_hosts: 'web!web001.example.lan',
    old_hosts: ['db1.example.lan'],
    spare: 'web003.example.lan',
    ticket: 'OPS-1',
    nested: { via_host: 'web002.example.lan', list: ['web002.example.lan', 'x'] },
  });
  const text = renderRunbook(
    '{{ src_host }} {{ src_host.address }} {{ src_host.vars.dc }} {{ src_host.http_port }}|{{ peer_hosts | fold }}|{{ old_hosts[0].state }}|{{ spare.address }}|{{ ticket }}|{{ nested.via_host.address }} {{ nested.list[0].address }} {{ nested.list[1] }}',
    inventory, {
      src_host: 'web001.example.lan', peer_hosts: 'web!web001.example.lan', old_hosts: ['db1.example.lan'], spare: 'web003.example.lan', ticket: 'OPS-1',
      nested: { via_host: 'web002.example.lan', list: ['web002.example.lan', 'x'] },
    }, { file: 'rb.md' });
  assert.equal(text, 'web001.example.lan 127.0.0.11 tk1 80|web[002-003].example.lan|stop|127.0.0.13|OPS-1|127.0.0.12 127.0.0.12 x');
  assert.equal(values['ticket'], 'OPS-1');
});

test('values: an unknown *_host or *_hosts name, or a bad selector, is an error listing each', () => {
  assert.throws(() => runbookValues(inventory, { src_host: 'web001', dst_host: 'nope', x_hosts: ['web002.example.lan', 'zz'], y_hosts: 'web&&' }, 'job.yaml'), (error: unknown) => {
    assert.ok(error instanceof InvalidFileError);
    assert.match(error.message, /runbook values job\.yaml/);
    assert.match(error.message, /src_host: no host named "web001" in the inventory \(did you mean web001\.example\.lan\?\)/);
    assert.match(error.message, /dst_host: no host named "nope"/);
    assert.match(error.message, /x_hosts\[1\]: no host named "zz"/);
    assert.match(error.message, /y_hosts: .*selector "web&&"/);
    return true;
  });
});

test('--set: YAML scalars, nested keys, over the values file', () => {
  assert.deepEqual(applySetValues({ a: 1, n: { k: 'v' } }, ['a=2', 'b=true', 'n.j=x y', 's="007"', 'e=']), { a: 2, b: true, n: { k: 'v', j: 'x y' }, s: '007', e: '' });
  // The library names the option; the CLI says the flag.
  assert.throws(() => applySetValues({}, ['novalue']), (error: unknown) => error instanceof OptionError && error.option === 'set'
    && error.message === 'set novalue: write set KEY=VALUE' && cliMessage(error) === '--set novalue: write --set KEY=VALUE');
  for (const pair of ['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'a..b=1']) {
    assert.throws(() => applySetValues({}, [pair]), /cannot be a key/);
  }
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype untouched');
});

test('an undefined value in a runbook fails with its location', () => {
  assert.throws(() => renderRunbook('# {{ src_host }}\n\n{{ dst_host.address }}\n', inventory, { src_host: 'web001.example.lan' }, { file: 'maint.md' }), /maint\.md:3:4: undefined variable: dst_host/);
});

const book = [
  '# Job', '', '## Drain', '', '```sh', 'echo one', '```', '', 'text', '', '~~~bash', 'echo two', 'echo two-b', '~~~',
  '', '```yaml', 'not: a step', '```', '', '## Fail', '````shell', 'echo three; false; echo never', '````', '', '```sh', 'echo four', '```', '',
].join('\n');

test('steps: sh/bash/shell fences (``` or ~~~), titled by the heading above, other blocks ignored', () => {
  const steps = runbookSteps(book);
  assert.deepEqual(steps.map((s) => [s.number, s.title, s.language, s.code, s.line]), [
    [1, 'Drain', 'sh', 'echo one\n', 5],
    [2, 'Drain', 'bash', 'echo two\necho two-b\n', 11],
    [3, 'Fail', 'shell', 'echo three; false; echo never\n', 21],
    [4, 'Fail', 'sh', 'echo four\n', 25],
  ]);
});

test('run: confirmation per step, skip, stop at the first failure (bash -e), output streamed and logged', async () => {
  const steps = runbookSteps(book);
  const answers: StepAnswer[] = ['run', 'skip', 'run', 'run'];
  const asked: number[] = [];
  let output = '';
  let log = '';
  const result = await runSteps(steps, {
    confirm: async (step) => {
      asked.push(step.number);
      return answers.shift() ?? 'quit';
    },
    onOutput: (chunk) => {
      output += chunk.toString();
    },
    log: (text) => {
      log += text;
    },
  });
  assert.equal(result.end, 'failed');
  assert.deepEqual(asked, [1, 2, 3], 'step 4 is never offered after step 3 failed');
  assert.deepEqual(result.records.map((r) => [r.step.number, r.status, r.exitCode]), [[1, 'ok', 0], [2, 'skipped', null], [3, 'failed', 1]]);
  assert.equal(output, 'one\nthree\n', 'bash -e stopped step 3 at `false`');
  assert.match(log, /== step 1\/4: Drain \(line 5\)\n\$ echo one\none\n-- ok in/);
  assert.match(log, /== step 2\/4: Drain \(line 11\)\n-- skipped\n/);
  assert.match(log, /== step 3\/4: Fail \(line 21\)\n\$ echo three; false; echo never\nthree\n-- failed \(exit 1\) in/);
});

test('run: quit stops before the step; an abort kills the running step', async () => {
  const steps = runbookSteps('```sh\necho a\n```\n```sh\necho b\n```\n');
  const quit = await runSteps(steps, { confirm: async (step) => (step.number === 1 ? 'run' : 'quit') });
  assert.equal(quit.end, 'quit');
  assert.equal(quit.records.length, 1);

  const controller = new AbortController();
  const slow = runbookSteps('```sh\necho started\nexec sleep 30\n```\n```sh\necho never\n```\n');
  let seen = '';
  const result = await runSteps(slow, {
    // Abort once the step has shown it is running: the kill must reach a live process.
    onOutput: (chunk) => {
      seen += chunk.toString();
      if (seen.includes('started')) controller.abort();
    },
    signal: controller.signal,
  });
  assert.equal(result.end, 'interrupted');
  assert.equal(result.records[0]?.signal, 'SIGTERM');
  assert.equal(result.records.length, 1, 'the second step never ran');
});
