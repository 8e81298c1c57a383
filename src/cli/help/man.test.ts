import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registry } from '../registry.js';
import { commandDefinitions } from './definitions.js';
import { manPage, roff } from './man.js';

const hasGroff = spawnSync('groff', ['--version'], { stdio: 'ignore' }).status === 0;

test('man page: every registered command and subcommand, with its options and summary', async () => {
  const defs = await commandDefinitions(registry);
  const page = manPage(defs, '0.0.0');
  for (const entry of registry) {
    assert.ok(page.includes(`.SS "muster ${roff(entry.name)} `), `section for ${entry.name}`);
    assert.ok(page.includes(roff(entry.summary)), `summary of ${entry.name}`);
  }
  assert.ok(page.includes('.SS "muster lab up '), 'subcommands too');
  assert.ok(page.includes(`.B ${roff('--max-fail <n>')}`) || page.includes(roff('--max-fail')), 'run\'s options');
  assert.doesNotMatch(page, /[^\p{ASCII}]/u, 'ASCII only (non-ASCII escaped)');
});

test('man page: groff renders it without a warning, and the text reads back', { skip: hasGroff ? false : 'groff is not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-man-'));
  try {
    const file = join(dir, 'muster.1');
    writeFileSync(file, manPage(await commandDefinitions(registry), '0.0.0'));
    const out = spawnSync('groff', ['-man', '-Tutf8', '-ww', file], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80' } });
    assert.equal(out.status, 0);
    assert.equal(out.stderr, '', 'no groff warning');
    // Bold and underline are overstruck (X\bX); \- renders as U+2212 (the minus sign).
    const text = out.stdout.replace(new RegExp(`.${String.fromCharCode(8)}`, 'gu'), '').replace(/\u2212/g, '-');
    assert.match(text, /muster import ansible \[options\] <source>/);
    assert.match(text, /read by ansible-inventory --list/);
    assert.match(text, /^ {7}-o, --output <file>$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
