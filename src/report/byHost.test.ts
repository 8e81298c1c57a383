import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../run/outcome.js';
import { formatByHost } from './byHost.js';

const outcome = (host: string, stdout: string, stderr = ''): Outcome => ({ host, status: 'ok', exitCode: 0, stdout, stderr, durationMs: 1 });

test('formatByHost: host: line, hosts sorted by name with numbers as numbers, stdout and stderr apart', () => {
  const lines = formatByHost([outcome('web10', 'b\n'), outcome('web2', 'a\nno-newline', 'oops\n'), outcome('db1', '')]);
  assert.equal(lines.stdout, 'web2: a\nweb2: no-newline\nweb10: b\n');
  assert.equal(lines.stderr, 'web2: oops\n');
});

test('formatByHost: -N leaves the prefix out; control characters are shown, CRLF kept', () => {
  const lines = formatByHost([outcome('h1', 'x\u001b[2Jy\r\nz\rw\n')], { prefix: false });
  assert.equal(lines.stdout, 'x\\x1b[2Jy\r\nz\\x0dw\n');
});
