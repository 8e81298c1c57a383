/**
 * Bad local input through the real CLI (issue 17, items 7, 8 and 14): what is
 * not a regular file, too big, not UTF-8, or carries control characters is
 * refused with one line (file:line:col where there is a file), exit 2, no
 * stack, nothing written. Each case hung, crashed or passed silently before.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertUsageFailure, musterBin, musterSync, type Ran } from './cli.test-helper.js';

const small = 'version: 1\nroles: { web: {} }\nhosts:\n  web[1-4]:\n    roles: [web]\n';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'muster-badinput-'));
}

/** Runs muster, killing it after `ms`: a hang fails the test instead of stalling the suite. */
function bounded(args: string[], cwd: string, ms = 20_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [musterBin, ...args], { cwd, env: { ...process.env, MUSTER_INVENTORY: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    const timer = setTimeout(() => {
      stderr += `(killed: still running after ${ms} ms)`;
      child.kill('SIGKILL');
    }, ms);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** One line on stderr (after "muster: "), exit 2, no stack, no raw control character. */
function assertOneLine(ran: Ran, message: RegExp): void {
  assertUsageFailure(ran, message);
  const lines = ran.stderr.split('\n').filter((line) => line !== '' && line !== '(add --help for usage)');
  assert.equal(lines.length, 1, ran.stderr);
  // eslint-disable-next-line no-control-regex -- the point: no control character reaches the terminal
  assert.doesNotMatch(ran.stderr, /[\u0000-\u0008\u000b-\u001f\u007f]/);
}

describe('what is not a regular file is refused by name, without blocking', () => {
  it('-i FIFO, -i /dev/zero, a FIFO in an inventory folder; a symlink to a file is read', async () => {
    const dir = tempDir();
    try {
      execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
      assertOneLine(await bounded(['ls', '-i', 'fifo.yaml'], dir), /^muster: Cannot load inventory: fifo\.yaml: not a regular file \(it is a FIFO\); muster reads only regular files or symlinks to them$/m);
      assertOneLine(await bounded(['check', '-i', '/dev/zero'], dir), /^muster: Cannot load inventory: \/dev\/zero: not a regular file \(it is a character device\)/m);
      mkdirSync(join(dir, 'inventory'));
      writeFileSync(join(dir, 'inventory', 'a.yaml'), small);
      execFileSync('mkfifo', [join(dir, 'inventory', 'b.yaml')]);
      assertOneLine(await bounded(['ls'], dir), /^muster: Cannot load inventory: inventory\/b\.yaml: not a regular file \(it is a FIFO\)/m);
      writeFileSync(join(dir, 'real.yaml'), small);
      symlinkSync(join(dir, 'real.yaml'), join(dir, 'link.yaml'));
      const linked = await bounded(['ls', '-i', 'link.yaml', '-o', 'fold'], dir);
      assert.equal(linked.code, 0, linked.stderr);
      assert.equal(linked.stdout, 'web[1-4]\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a task file, a template, an include, a runbook values file: FIFOs refused the same way', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'muster.yaml'), small);
      execFileSync('mkfifo', [join(dir, 'task.yaml')]);
      execFileSync('mkfifo', [join(dir, 'site.liquid')]);
      execFileSync('mkfifo', [join(dir, 'part.liquid')]);
      execFileSync('mkfifo', [join(dir, 'values.yaml')]);
      writeFileSync(join(dir, 'outer.liquid'), "{% include 'part.liquid' %}\n");
      writeFileSync(join(dir, 'book.md'), '# {{ hosts | size }}\n');
      assertOneLine(await bounded(['apply', 'task.yaml'], dir), /^muster: Cannot load task task\.yaml: not a regular file \(it is a FIFO\)/m);
      assertOneLine(await bounded(['render', 'site.liquid'], dir), /^muster: Cannot load template site\.liquid: not a regular file \(it is a FIFO\)/m);
      // An include that is not a regular file is not there, as far as Liquid's lookup goes.
      assertOneLine(await bounded(['render', 'outer.liquid'], dir), /^muster: Cannot load template outer\.liquid: outer\.liquid:1:1: ENOENT: Failed to lookup "part\.liquid"/m);
      assertOneLine(await bounded(['runbook', 'book.md', '-c', 'values.yaml'], dir), /^muster: Cannot load values file values\.yaml: not a regular file \(it is a FIFO\)/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('size limits: one line, not a V8 crash', () => {
  it('an inventory over 64 MiB is refused before it is read', async () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'muster.yaml');
      writeFileSync(file, small);
      truncateSync(file, 100 * 1024 * 1024);
      const ran = await bounded(['check', '-i', file], dir);
      assertOneLine(ran, /^muster: Cannot load inventory: muster\.yaml: is 100 MiB, over the 64 MiB limit of an inventory; see docs\/inventory\.md, "Limits"$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a folder inventory counts its files together', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir, 'inventory'));
      for (const name of ['a', 'b']) {
        writeFileSync(join(dir, 'inventory', `${name}.yaml`), '');
        truncateSync(join(dir, 'inventory', `${name}.yaml`), 40 * 1024 * 1024);
      }
      const ran = await bounded(['check'], dir);
      assertOneLine(ran, /^muster: Cannot load inventory: inventory\/b\.yaml: is 40 MiB, over the 64 MiB limit of an inventory \(all its files together\)/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('YAML outside the plain block subset has a 32 MiB budget of its own (it costs ~4x more to read)', async () => {
    const dir = tempDir();
    try {
      // An anchor sends the file to the yaml package; the padding makes it 33 MiB.
      const padding = `# ${'x'.repeat(1021)}\n`.repeat(33 * 1024);
      writeFileSync(join(dir, 'muster.yaml'), `version: 1\ndefaults: { vars: &common { a: 1 } }\n${padding}hosts: { web01: {} }\n`);
      const ran = await bounded(['check'], dir);
      assertOneLine(ran, /^muster: Cannot load inventory: muster\.yaml:1:1: 33(\.0)? MiB of YAML outside the plain block subset, past the 32 MiB such text may have/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('patterns past 250,000 hosts are refused at the pattern that passes the limit', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'muster.yaml'), 'version: 1\nhosts:\n  a[1-200000]: {}\n  b[1-60000]: {}\n');
      const ran = await bounded(['check'], dir, 60_000);
      assertOneLine(ran, /^muster: Cannot load inventory: muster\.yaml:4:3: host pattern "b\[1-60000\]" takes the inventory to 260,000 hosts, past its limit of 250,000 \(see docs\/inventory\.md, "Limits"\)$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bad bytes and bad values: one clear line each', () => {
  it('invalid UTF-8 in an inventory is refused at its file:line:col', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'muster.yaml'), Buffer.concat([Buffer.from('version: 1\nhosts:\n  web1: { note: "caf'), Buffer.from([0xff]), Buffer.from('" }\n')]));
      assertOneLine(musterSync(['ls'], { cwd: dir }), /^muster: Cannot load inventory: muster\.yaml:3:21: invalid UTF-8 \(byte 0xff\)/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('control characters from a file are escaped in the message, never echoed raw', () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'muster.yaml'), 'version: 1\nhosts:\n  web\u0000x: {}\n');
      assertOneLine(musterSync(['check'], { cwd: dir }), /^muster: Cannot load inventory: muster\.yaml:3:3: host name "web\\x00x" may use only/m);
      writeFileSync(join(dir, 'muster.yaml'), 'version: 1\nhosts:\n  "w\u001b[2J": {}\n  "w\u001b[2J": {}\n');
      assertOneLine(musterSync(['check'], { cwd: dir }), /^muster: Cannot load inventory: muster\.yaml:4:3: YAML: key "w\\x1b\[2J" appears twice in the same mapping \(first at 3:3\)$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('set: an alias bomb and a map with a key given twice are refused, nothing written', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'muster.yaml');
      writeFileSync(file, small);
      const level = (name: string, of: string): string => `&${name} [${Array(9).fill(of).join(',')}]`;
      const bomb = `[${level('a', 'x')}, ${level('b', '*a')}, ${level('c', '*b')}, ${level('d', '*c')}, ${level('e', '*d')}, ${level('f', '*e')}]`;
      assertOneLine(musterSync(['set', 'web1', `vars.b=${bomb}`], { cwd: dir }), /^muster: Cannot read the value of vars\.b: its YAML aliases expand too far/m);
      assertOneLine(musterSync(['set', 'web1', 'vars.m={a: 1, a: 2}'], { cwd: dir }), /^muster: Cannot read the value of vars\.m: a key is given twice \(to store the text as it is, quote it as a YAML string: 'vars\.m="\{a: 1, a: 2\}"'\)$/m);
      assertOneLine(musterSync(['set', 'web1', 'vars.m=[a, b'], { cwd: dir }), /^muster: Cannot read the value of vars\.m: YAML: /m);
      assert.equal(readFileSync(file, 'utf8'), small);
      // A few aliases are a value like any other, and the quoted form of the refused text is stored as text.
      const ok = musterSync(['set', 'web1', 'vars.m=[&a x, *a]', 'vars.t="{a: 1, a: 2}"'], { cwd: dir });
      assert.equal(ok.code, 0, ok.stderr);
      const shown = JSON.parse(musterSync(['ls', 'web1', '-o', 'json'], { cwd: dir }).stdout) as { vars: Record<string, unknown> }[];
      assert.deepEqual(shown[0]?.vars, { m: ['x', 'x'], t: '{a: 1, a: 2}' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
