import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from '../core/errors.js';
import { shellQuote } from '../core/shell.js';
import type { RunResult } from '../run/engine.js';
import type { Outcome } from '../run/outcome.js';
import { localTransport } from '../transport/local.js';
import { ConnectError, type Target, type Transport } from '../transport/types.js';
import { contentDiff } from './diff-unified.js';
import { DiffContents, diffFleet, diffGroups, parseFileState, type FileState } from './diff.js';
import { sha256 } from './push.js';

const files: Record<string, string> = { a: 'listen 80;\nroot /srv;\n', b: 'listen 8080;\nroot /srv;\n' };

/** A finished checksum run: each host answers with the line the remote script prints. */
function run(answers: [string, string | Outcome['status']][]): { result: RunResult<FileState>; contents: DiffContents } {
  const contents = new DiffContents();
  const outcomes = answers.map(([host, answer]): Outcome<FileState> => {
    if (answer === 'unreachable' || answer === 'timeout') return { host, status: answer, exitCode: null, stdout: '', stderr: '', durationMs: 1, message: 'connection refused' };
    const text = files[answer];
    const line = text === undefined ? answer : `sha256 ${sha256(text)} ${text.length}`;
    if (text !== undefined) contents.bySha.set(sha256(text), Buffer.from(text));
    const state = parseFileState(line);
    return { host, status: 'ok', exitCode: 0, stdout: line, stderr: '', durationMs: 1, ...(state ? { data: state } : {}) };
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

  it('a path missing (or unreadable) on the reference hosts fails them too: missing everywhere is not identical', () => {
    const gone = run([['w1', 'missing'], ['w2', 'missing'], ['w3', 'missing']]);
    const report = diffGroups(gone.result, '/nonexistent', gone.contents);
    assert.deepEqual(report.groups.map((group) => [group.hosts.length, group.state.kind, group.reference]), [[3, 'missing', true]]);
    assert.deepEqual(report.outcomes.map((o) => [o.status, o.exitCode, o.message]), Array(3).fill(['failed', 1, 'missing']));
    assert.equal(report.identical, false);
    const most = run([['w1', 'missing'], ['w2', 'a'], ['w3', 'missing']]);
    assert.deepEqual(diffGroups(most.result, '/x', most.contents).outcomes.map((o) => o.status), ['failed', 'failed', 'failed']);
  });

  it('--against a host or a local file picks the reference', () => {
    const { result, contents } = run([['w1', 'a'], ['w2', 'a'], ['w3', 'b']]);
    const byHost = diffGroups(result, '/x', contents, { host: 'w3' });
    assert.deepEqual([byHost.groups[0]?.hosts, byHost.referenceFrom], [['w3'], 'host w3']);
    assert.deepEqual(byHost.outcomes.map((o) => o.status), ['failed', 'failed', 'ok']);
    const byFile = diffGroups(result, '/x', contents, { file: 'want.conf', content: Buffer.from('other\n') });
    assert.deepEqual([byFile.groups[0]?.hosts, byFile.groups[0]?.reference, byFile.referenceFrom], [[], true, 'local file want.conf']);
    assert.match(byFile.groups[1]?.diff ?? '', /^--- want\.conf\n\+\+\+ w\[1-2\]:\/x\n/);
    assert.throws(() => diffGroups(result, '/x', contents, { host: 'nope' }), (error: unknown) => {
      assert.ok(error instanceof OptionError);
      assert.equal(error.option, 'against');
      assert.equal(error.message, 'against nope: that host is not among the hosts compared');
      assert.equal(error.messageWith((option) => `--${option}`), '--against nope: that host is not among the hosts compared');
      return true;
    });
  });
});

describe('contentDiff', () => {
  it('names binary contents instead of dumping them, and diffs an absent side against /dev/null without noise', () => {
    assert.equal(contentDiff({ content: Buffer.from([0, 1, 2]), label: 'a' }, { content: Buffer.from([0, 1, 3]), label: 'b' }), 'Binary files a and b differ\n');
    assert.equal(contentDiff({ content: null, label: 'a' }, { content: Buffer.from('x\n'), label: 'b' }), '--- /dev/null\n+++ b\n@@ -0,0 +1,1 @@\n+x\n');
    assert.equal(contentDiff({ content: Buffer.from('same'), label: 'a' }, { content: Buffer.from('same'), label: 'b' }), '');
  });
});

/**
 * The local transport, with each host in a folder of its own under `root`
 * (commands run there, so the relative PATH is that host's file); a host whose
 * address is `down` cannot be reached.
 */
function foldersTransport(root: string): Transport {
  const local = localTransport();
  return {
    name: 'folders',
    async connect(target, options) {
      if (target.address === 'down') throw new ConnectError(target.name, 'refused', `connection to ${target.name} refused`);
      const session = await local.connect(target, options);
      const cd = `cd ${shellQuote(join(root, target.name))} && `;
      return { target, exec: (command, execOptions) => session.exec(cd + command, execOptions), close: () => session.close() };
    },
  };
}

describe('diffFleet', () => {
  let root: string;
  let transport: Transport;
  const hosts = (...names: string[]): Target[] => names.map((name) => ({ name, address: name.startsWith('down') ? 'down' : '127.0.0.1' }));
  const put = async (host: string, content: string | null): Promise<void> => {
    await mkdir(join(root, host), { recursive: true });
    if (content !== null) await writeFile(join(root, host, 'app.conf'), content);
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'muster-diffFleet-'));
    transport = foldersTransport(root);
    for (const host of ['h1', 'h2', 'h3', 'h5']) await put(host, files['a'] ?? '');
    await put('h4', files['b'] ?? '');
    await put('gone', null);
    await put('odd', null);
    await mkdir(join(root, 'odd', 'app.conf'));
    await put('eio', null);
    // Reading /proc/self/mem at offset 0 fails (EIO) even for root: a file that exists and cannot be read.
    await symlink('/proc/self/mem', join(root, 'eio', 'app.conf'));
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is identical when every host has the same content; data carries each host\'s FileState', async () => {
    const report = await diffFleet(hosts('h1', 'h2', 'h3'), 'app.conf', { transport });
    assert.equal(report.identical, true);
    assert.deepEqual(report.groups.map((group) => [group.hosts, group.reference, group.diff]), [[['h1', 'h2', 'h3'], true, '']]);
    assert.deepEqual(report.outcomes.map((o) => [o.status, o.message, o.data?.kind]), Array(3).fill(['ok', 'same as the reference', 'content']));
    assert.equal(report.outcomes[0]?.stdout, `sha256 ${sha256(files['a'] ?? '')} ${files['a']?.length}`);
    assert.equal(report.run.outcomes, report.outcomes);
  });

  it('finds the one host that differs and gives the diff text against the largest group', async () => {
    const report = await diffFleet(hosts('h1', 'h2', 'h3', 'h4', 'h5'), 'app.conf', { transport, forks: 2 });
    assert.equal(report.identical, false);
    assert.equal(report.referenceFrom, 'largest group');
    assert.deepEqual(report.groups.map((group) => [group.hosts.join(','), group.reference]), [['h1,h2,h3,h5', true], ['h4', false]]);
    assert.equal(report.groups[1]?.diff, '--- h[1-3,5]:app.conf\n+++ h4:app.conf\n@@ -1,2 +1,2 @@\n-listen 80;\n+listen 8080;\n root /srv;\n');
    assert.deepEqual(report.outcomes.map((o) => o.status), ['ok', 'ok', 'ok', 'failed', 'ok']);
    assert.equal(report.outcomes[3]?.message, `differs (sha256 ${sha256(files['b'] ?? '').slice(0, 12)})`);
  });

  it('puts missing, unreadable and not-a-file hosts in groups of their own', async () => {
    const report = await diffFleet(hosts('h1', 'gone', 'eio', 'odd', 'h2'), 'app.conf', { transport });
    assert.deepEqual(report.groups.map((group) => [group.hosts.join(','), group.state]), [
      ['h1,h2', { kind: 'content', sha256: sha256(files['a'] ?? ''), size: files['a']?.length }],
      ['gone', { kind: 'missing' }],
      ['eio', { kind: 'unreadable', reason: 'sha256sum: -: Input/output error' }],
      ['odd', { kind: 'other', what: 'a directory' }],
    ]);
    assert.deepEqual(report.outcomes.map((o) => [o.host, o.status, o.message]), [
      ['h1', 'ok', 'same as the reference'], ['gone', 'failed', 'missing'], ['eio', 'failed', 'unreadable: sha256sum: -: Input/output error'],
      ['odd', 'failed', 'not a file: a directory'], ['h2', 'ok', 'same as the reference'],
    ]);
  });

  it('against a local file: it is the reference, and every host that differs from it gets a diff', async () => {
    const wanted = Buffer.from('listen 80;\nroot /var/www;\n');
    const report = await diffFleet(hosts('h1', 'h4'), 'app.conf', { transport, against: { file: 'wanted.conf', content: wanted } });
    assert.equal(report.referenceFrom, 'local file wanted.conf');
    assert.deepEqual(report.groups.map((group) => [group.hosts, group.reference]), [[[], true], [['h1'], false], [['h4'], false]]);
    assert.match(report.groups[1]?.diff ?? '', /^--- wanted\.conf\n\+\+\+ h1:app\.conf\n/);
    assert.match(report.groups[2]?.diff ?? '', /^--- wanted\.conf\n\+\+\+ h4:app\.conf\n/);
    assert.deepEqual(report.outcomes.map((o) => o.status), ['failed', 'failed']);
  });

  it('against a host: its group is the reference, even when it is the smaller one', async () => {
    const report = await diffFleet(hosts('h1', 'h2', 'h4'), 'app.conf', { transport, against: { host: 'h4' } });
    assert.equal(report.referenceFrom, 'host h4');
    assert.deepEqual(report.groups.map((group) => [group.hosts.join(','), group.reference]), [['h4', true], ['h1,h2', false]]);
    assert.match(report.groups[1]?.diff ?? '', /^--- h4:app\.conf\n\+\+\+ h\[1-2\]:app\.conf\n/);
    assert.deepEqual(report.outcomes.map((o) => o.status), ['failed', 'failed', 'ok']);
  });

  it('a host that fails is in no group and keeps its own outcome; against it is an OptionError', async () => {
    const targets = [...hosts('h1', 'down1'), { name: 'nofolder', address: '127.0.0.1' }];
    const report = await diffFleet(targets, 'app.conf', { transport });
    assert.equal(report.identical, false);
    assert.deepEqual(report.groups.map((group) => group.hosts), [['h1']]);
    assert.deepEqual(report.outcomes.map((o) => [o.host, o.status, o.message]), [
      ['h1', 'ok', 'same as the reference'], ['down1', 'unreachable', 'connection to down1 refused'], ['nofolder', 'failed', 'cannot checksum app.conf'],
    ]);
    await assert.rejects(diffFleet(targets, 'app.conf', { transport, against: { host: 'down1' } }), (error: unknown) => {
      assert.ok(error instanceof OptionError);
      assert.equal(error.message, 'against down1: it answered unreachable (connection to down1 refused); cannot compare against it');
      return true;
    });
  });
});
