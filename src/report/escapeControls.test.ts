import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeControls } from './escapeControls.js';

test('terminal escapes (CSI, OSC title, C1 CSI, bell, backspace, DEL) become visible \\xHH', () => {
  assert.equal(escapeControls('\u001b[2J\u001b]0;owned\u0007'), '\\x1b[2J\\x1b]0;owned\\x07');
  assert.equal(escapeControls('a\u009b31mb'), 'a\\x9b31mb');
  assert.equal(escapeControls('rm -rf /\u0008\u0008\u0008\u007f'), 'rm -rf /\\x08\\x08\\x08\\x7f');
  assert.equal(escapeControls('nul\u0000'), 'nul\\x00');
});

test('newlines, tabs, CRLF and printable text (UTF-8 included) are kept as they are', () => {
  const text = 'col1\tcol2\r\nline two\nnaïve 日本 ✓\n';
  assert.equal(escapeControls(text), text);
});

test('a lone carriage return, which would let later text overwrite a line, is shown', () => {
  assert.equal(escapeControls('evil command\rls -l       \n'), 'evil command\\x0dls -l       \n');
});
