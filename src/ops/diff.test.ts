import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../core/errors.js';
import type { RunResult } from '../run/engine.js';
import type { Outcome } from '../run/outcome.js';
import { contentDiff } from './diff-unified.js';
import { DiffContents, diffGroups, parseFileState } from './diff.js';
import { sha256 } from './push.js';

const files: Record<string, string> = { a: 'listen 80;\nroot /srv;\n', b: 'listen 8080;\nroot /srv;\n' };

/** A finished checksum run: each host answers with the line the remote script prints. */
function run(answers: [string, string | Outcome['status']][]): { result: RunResult; contents: DiffContents } {
  const contents = new DiffContents();
  const outcomes = answers.map(([host, answer]): Outcome => {
    if (answer === 'unreachable' || answer === 'timeout') return { host, status: answer, exitCode: null, stdout: '', stderr: '', durationMs: 1, message: 'connection refused' };
    const text = files[answer];
    const line = text === undefined ? answer : `sha256 ${sha256(text)} ${text.length}`;
    if (text !== undefined) contents.bySha.set(sha256(text), Buffer.from(text));
    return { host, status: 'ok', exitCode: 0, stdout: line, stderr: '', durationMs: 1 };
  });
  return { result: { outcomes, aborted: false, interrupted: false, durationMs: 5 }, contents };
}

describe('diff grouping', () => {
  it('reads the checksum script\'s answers', () => {
    assert.deepEqual(parseFileState('missing'), { kind: 'missing' });
    assert.deepEqual(parseFileState('unreadable sh: 1: cannot open /x: Permission denied'), { kind: 'unreadable', reason: 'Permission denied' });
    assert.deepEqual(parseFileState(`sha256 ${'a'.repeat(64)} 12`), { kind: 'content', sha256: 'a'.repeat(64), size: 12 });
    assert.equal(parseFileState('garbage'), undefined);
  });

  it('takes the largest group as reference, diffs the others against it, and keeps missing/unreadable apart', () => {
    const { result, contents } = run([['w1', 'a'], ['w2', 'b'], ['w3', 'a'], ['w4', 'missing'], ['w5', 'unreadable sh: 1: cannot open /x: Permission denied'], ['w6', 'unreachable']]);
    const report = diffGroups(result, '/etc/x.conf', contents);
    assert.deepEqual(report.groups.map((group) => [group.hosts.join(','), group.state.kind, group.reference]), [
      ['w1,w3', 'content', true], ['w2', 'content', false], ['w4', 'missing', false], ['w5', 'unreadable', false],
    ]);
    assert.match(report.groups[1]?.diff ?? '', /^--- w\[1,3\]:\/etc\/x\.conf\n\+\+\+ w2:\/etc\/x\.conf\n@@ .* @@\n-listen 80;\n\+listen 8080;\n root \/srv;\n$/);
    assert.deepEqual(report.outcomes.map((o) => [o.host, o.status, o.message]), [
      ['w1', 'ok', 'same as the reference'], ['w2', 'failed', `differs (sha256 ${sha256(files['b'] ?? '').slice(0, 12)})`], ['w3', 'ok', 'same as the reference'],
      ['w4', 'failed', 'missing'], ['w5', 'failed', 'unreadable: Permission denied'], ['w6', 'unreachable', 'connection refused'],
    ]);
    assert.equal(report.identical, false);
  });

  it('breaks a tie by the first host seen, and is identical when every host agrees', () => {
    const tie = run([['w1', 'b'], ['w2', 'a']]);
    assert.deepEqual(diffGroups(tie.result, '/x', tie.contents).groups[0]?.hosts, ['w1']);
    const same = run([['w1', 'a'], ['w2', 'a']]);
    assert.equal(diffGroups(same.result, '/x', same.contents).identical, true);
  });

  it('--against a host or a local file picks the reference', () => {
    const { result, contents } = run([['w1', 'a'], ['w2', 'a'], ['w3', 'b']]);
    const byHost = diffGroups(result, '/x', contents, { host: 'w3' });
    assert.deepEqual([byHost.groups[0]?.hosts, byHost.referenceFrom], [['w3'], 'host w3']);
    assert.deepEqual(byHost.outcomes.map((o) => o.status), ['failed', 'failed', 'ok']);
    const byFile = diffGroups(result, '/x', contents, { file: 'want.conf', content: Buffer.from('other\n') });
    assert.deepEqual([byFile.groups[0]?.hosts, byFile.groups[0]?.reference, byFile.referenceFrom], [[], true, 'local file want.conf']);
    assert.match(byFile.groups[1]?.diff ?? '', /^--- want\.conf\n\+\+\+ w\[1-2\]:\/x\n/);
    assert.throws(() => diffGroups(result, '/x', contents, { host: 'nope' }), UsageError);
  });
});

describe('contentDiff', () => {
  it('names binary contents instead of dumping them, and diffs an absent side against /dev/null without noise', () => {
    assert.equal(contentDiff({ content: Buffer.from([0, 1, 2]), label: 'a' }, { content: Buffer.from([0, 1, 3]), label: 'b' }), 'Binary files a and b differ\n');
    assert.equal(contentDiff({ content: null, label: 'a' }, { content: Buffer.from('x\n'), label: 'b' }), '--- /dev/null\n+++ b\n@@ -0,0 +1,1 @@\n+x\n');
    assert.equal(contentDiff({ content: Buffer.from('same'), label: 'a' }, { content: Buffer.from('same'), label: 'b' }), '');
  });
});
