// Issue 17 item 13: a 5,000-name union or a 6,000-name group overflowed the stack (RangeError, exit 70;
// `check` passed the group, then `ls` crashed and serve answered 500). Through the real CLI and the real
// `muster serve`: big selectors select, too-deep nesting is one clear error, never a crash.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from '../../serve/server.test-helper.js';
import { assertNoStack, assertUsageFailure, muster, musterBin } from './cli.test-helper.js';

const size = 6000;
const names = Array.from({ length: size }, (_, i) => `h${i}`);
const union5000 = names.slice(0, 5000).join(',');

/** 6,000 hosts; `big` is a group of all 6,000 names, `chainN` a chain of N groups each naming the next. */
function inventoryText(chain: number): string {
  const groups = [`  big: "${names.join(',')}"`];
  for (let i = 0; i < chain; i++) groups.push(`  chain${i}: "${i === chain - 1 ? 'h1' : `chain${i + 1}`}"`);
  return `version: 1\nroles:\n  web: {}\ngroups:\n${groups.join('\n')}\nhosts:\n  h[0-${size - 1}]: { roles: [web] }\n`;
}

const parens = (depth: number, inner: string): string => `${'('.repeat(depth)}${inner}${')'.repeat(depth)}`;

describe('big selectors through the CLI (issue 17 item 13)', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'muster-bigsel-'));
    file = join(dir, 'muster.yaml');
    writeFileSync(file, inventoryText(100));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check passes a 6,000-name group, and ls selects it and a 5,000-name union instead of overflowing', async () => {
    const checked = await muster(['-i', file, 'check']);
    assert.equal(checked.code, 0, checked.stderr);
    const cases: [string, string][] = [
      ['big', `h[0-${size - 1}]`],
      [union5000, 'h[0-4999]'],
      [`${union5000}!h7`, 'h[0-6,8-4999]'],
      [`big&${union5000}`, 'h[0-4999]'],
      // A chain of exactly 100 groups is within the limit.
      ['chain0', 'h1'],
      // 20,001 leading exclusions: "everything but h1", one loop, no recursion.
      [`${'!'.repeat(20001)}h1`, `h[0,2-${size - 1}]`],
      [parens(100, 'h1,h2'), 'h[1-2]'],
    ];
    for (const [selector, expected] of cases) {
      const ran = await muster(['-i', file, 'ls', selector, '-o', 'fold']);
      assert.equal(ran.code, 0, `${selector.slice(0, 40)}: ${ran.stderr.slice(0, 400)}`);
      assert.equal(ran.stdout.trim(), expected, selector.slice(0, 40));
    }
  });

  it('parentheses deeper than 100 are one clear error with the position, around it only (not the whole selector)', async () => {
    const ran = await muster(['-i', file, 'ls', parens(101, union5000)]);
    assertUsageFailure(ran, /^muster: Invalid selector: parentheses nested more than 100 deep \(at character 101 of \d+\)\n/);
    const [, shown = '', caret = ''] = ran.stderr.split('\n');
    assert.ok(shown.length < 100, shown);
    assert.equal(shown[caret.indexOf('^')], '(');
    // A typo at the end of a 5,000-name union: the error quotes its end, not 29 KB twice.
    const typo = await muster(['-i', file, 'ls', `${union5000},nope`]);
    assertUsageFailure(typo, /"nope" is not a role, group or host \(at character 28891 of 28894\)\n {2}….*h4999,nope\n/);
    assert.ok(typo.stderr.length < 400, typo.stderr);
  });

  it('a chain of 101 groups is an inventory error at check, naming the groups, not a crash at ls', async () => {
    const deep = join(dir, 'deep.yaml');
    writeFileSync(deep, inventoryText(101));
    for (const args of [['check'], ['ls', 'chain0']]) {
      const ran = await muster(['-i', deep, ...args]);
      assertUsageFailure(ran, /deep\.yaml:\d+:\d+: group "chain0": groups nested more than 100 deep \(chain0 → chain1 → chain2 → … → chain100 → …\)/);
      assertNoStack(ran.stderr);
    }
  });
});

describe('big selectors through muster serve (issue 17 item 13)', () => {
  let dir: string;
  let child: ChildProcess;
  let port: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'muster-bigsel-serve-'));
    writeFileSync(join(dir, 'muster.yaml'), inventoryText(100));
    child = spawn(process.execPath, [musterBin, 'serve', '-i', join(dir, 'muster.yaml'), '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    port = await new Promise<number>((resolve, reject) => {
      child.stderr?.on('data', (chunk: string) => {
        stderr += chunk;
        const match = /listening url=http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`muster serve exited ${code}: ${stderr}`)));
    });
  });
  after(async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the 6,000-name group and selectors naming it answer 200; nesting too deep answers a clear 400, never 500', async () => {
    assert.equal((await get({ port }, '/v1/groups/big/count')).body.trim(), String(size));
    const groups = await get({ port }, '/v1/groups');
    assert.equal(groups.status, 200);
    assert.equal(JSON.parse(groups.body).find((group: { name: string }) => group.name === 'big').count, size);
    const selected = await get({ port }, `/v1/select?q=${encodeURIComponent('big!h0')}`);
    assert.equal(selected.status, 200);
    assert.equal(JSON.parse(selected.body).count, size - 1);
    // A query value is at most 255 characters (request.ts), so nesting is the most a query can send.
    const deep = await get({ port }, `/v1/select?q=${encodeURIComponent(parens(101, 'big'))}`);
    assert.equal(deep.status, 400, deep.body);
    assert.match(JSON.parse(deep.body).error, /^Invalid selector: parentheses nested more than 100 deep \(at character 101 of 205\)\n/);
    assert.equal((await get({ port }, `/v1/select?q=${encodeURIComponent(parens(100, 'big'))}`)).status, 200);
  });
});
