/**
 * shellQuote and shellName against a real POSIX shell: whatever a value holds,
 * the quoted word reads back as exactly that value, and a derived name is one
 * the shell accepts in an assignment.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shellJoin, shellName, shellQuote } from './shell.js';

const hostile = ['', 'plain', "it's", '$(touch /tmp/muster-pwned)', '`id`', '"; rm -rf ~ #', 'a\nb', ' lead', 'tab\there', '\\', "''", '-n', '*', '~root', 'é ü', '$HOME', '!!'];

test('shellQuote: every value reads back exactly through /bin/sh', () => {
  const script = hostile.map((value) => `printf '%s\\0' ${shellQuote(value)}`).join('\n');
  const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  assert.deepEqual(out.split('\0').slice(0, -1), hostile);
});

test('shellJoin: a command line whose words arrive as given', () => {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\0' ${shellJoin(hostile)}`], { encoding: 'utf8' });
  assert.deepEqual(out.split('\0').slice(0, -1), hostile);
});

test('shellName: predictable, and always a name the shell can assign', () => {
  assert.equal(shellName('web-01.example.lan'), 'web_01_example_lan');
  assert.equal(shellName('1a'), '_1a');
  assert.equal(shellName(''), '_');
  for (const name of hostile) {
    const variable = shellName(name);
    assert.match(variable, /^[A-Za-z_][A-Za-z0-9_]*$/, `shellName(${JSON.stringify(name)}) = ${JSON.stringify(variable)}`);
    const out = execFileSync('/bin/sh', ['-c', `${variable}=ok; printf %s "$${variable}"`], { encoding: 'utf8' });
    assert.equal(out, 'ok');
  }
});
