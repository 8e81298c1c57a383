import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { agentCsr, makeTestCsr, opensslVerify, tempState } from '../../ca/ca.test-helper.js';
import { assertNoStack, assertUsageFailure, musterBin, musterSync, type Ran } from './cli.test-helper.js';

const state = tempState();
after(() => state.remove());
const stateDir = join(state.dir, 'state');
writeFileSync(join(state.dir, 'muster.yaml'), [
  'version: 1',
  'hosts:',
  '  web01: {}',
  '  web02: {}',
  '  db1: {}',
  'agents:',
  '  servers: [tls://10.20.30.40:4222]',
  '  operators: { alice: [ops] }',
  '  permissions: { ops: ["*"] }',
  '',
].join('\n'));

function ca(args: string[], input?: string, where = stateDir): Ran {
  const ran = musterSync(['ca', ...args], {
    cwd: state.dir,
    env: { ...process.env, MUSTER_INVENTORY: '', MUSTER_STATE: where },
    ...(input === undefined ? {} : { input }),
  });
  // A private key is never printed, whatever the command and however it ends.
  assert.doesNotMatch(ran.stdout + ran.stderr, /PRIVATE KEY/);
  return ran;
}

function ok(ran: Ran): Ran {
  assert.equal(ran.code, 0, ran.stderr);
  return ran;
}

/** A clean refusal: exit 2, one `muster:` line matching `message`, no stack. */
function refused(ran: Ran, message: RegExp): void {
  assert.equal(ran.code, 2, ran.stderr);
  assertNoStack(ran.stderr);
  const lines = ran.stderr.trim().split('\n').filter((line) => line !== '(add --help for usage)');
  assert.equal(lines.length, 1, ran.stderr);
  assert.match(lines[0] ?? '', message);
}

test('the CA from init to revoke, through the CLI', () => {
  refused(ca(['list']), /No fleet CA in .*make one with muster ca init/);
  const init = ok(ca(['init']));
  assert.match(init.stdout, /fleet CA made in .*state\/ca/);
  assert.match(init.stdout, /IP:10\.20\.30\.40, IP:127\.0\.0\.1, DNS:localhost/);
  refused(ca(['init']), /A fleet CA is already in .*nothing was changed/);

  const web01 = agentCsr(state.dir, 'web01');
  writeFileSync(join(state.dir, 'web01.csr'), web01.pem);
  assert.match(ok(ca(['request', 'web01.csr'])).stdout, /^pending: web01 key sha256:[0-9a-f]{16}…; sign it with muster ca sign web01\n$/);
  const db1 = agentCsr(state.dir, 'db1');
  ok(ca(['request', '-'], db1.pem));

  const listed = ok(ca(['list'])).stdout;
  assert.match(listed, /pending \(2;/);
  assert.match(listed, /web01 +key sha256:\S+ +from file web01\.csr/);
  assert.match(listed, /db1 +key sha256:\S+ +from file stdin/);
  const json = ok(ca(['list', '--json'])).stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; name: string });
  assert.deepEqual(json.map((record) => `${record.type}:${record.name}`).sort(), ['pending:db1', 'pending:web01']);

  assert.match(ok(ca(['sign', 'web01'])).stdout, /^signed agent web01 until \S+ \S+ \(sha256:[0-9a-f]{16}…\): .*agents\/web01\.crt\n$/);
  assert.match(ok(ca(['sign', '--all', '--days', '10'])).stdout, /signed agent db1/);
  assert.match(ok(ca(['sign', '--all'])).stdout, /nothing pending/);
  const operator = ok(ca(['sign', '--operator', 'alice']));
  assert.match(operator.stdout, /signed operator alice/);
  assert.equal(operator.stderr, '');
  assert.match(ok(ca(['sign', '--operator', 'bob'])).stderr, /note: operator bob is not in the inventory's agents\.operators/);
  assert.match(opensslVerify(join(stateDir, 'ca', 'ca.crt'), join(stateDir, 'ca', 'agents', 'web01.crt')), /OK$/);

  const shown = ok(ca(['show', 'web01'])).stdout;
  assert.match(shown, /^agent web01: active\n/);
  assert.match(shown, /subject +CN=web01,OU=agent,O=muster/);
  assert.match(shown, /serial +[0-9a-f]+/);
  assert.match(shown, /sha256 +[0-9a-f]{64}/);
  assert.match(shown, /valid +\S+ \S+ to \S+ \S+/);
  const shownJson = JSON.parse(ok(ca(['show', 'alice', '--operator', '--json'])).stdout) as { kind: string; status: string; subject: string };
  assert.deepEqual([shownJson.kind, shownJson.status, shownJson.subject], ['operator', 'active', 'CN=alice,OU=operator,O=muster']);

  assert.match(ok(ca(['revoke', 'web01'])).stdout, /^revoked agent web01: 1 certificate/);
  assert.match(ok(ca(['show', 'web01'])).stdout, /^agent web01: revoked \(revoked /);
  assert.match(ok(ca(['list'])).stdout, /agent +web01 +until \S+ \S+ +revoked/);
  ok(ca(['revoke', 'alice', '--operator']));
  // -i before the command lands on `ca`, and still counts.
  ok(musterSync(['-i', join(state.dir, 'muster.yaml'), 'ca', 'list'], { env: { ...process.env, MUSTER_STATE: stateDir } }));
});

test('refusals are one line with exit 2', () => {
  // A CA of its own: db1 signed, web01 signed and revoked.
  const where = join(state.dir, 'refusals-state');
  const here = (args: string[], input?: string): Ran => ca(args, input, where);
  ok(here(['init']));
  ok(here(['request', '-'], agentCsr(state.dir, 'db1', 'db1-r').pem));
  ok(here(['request', '-'], agentCsr(state.dir, 'web01', 'web01-r').pem));
  ok(here(['sign', '--all']));
  ok(here(['revoke', 'web01']));
  refused(here(['request', '-'], 'not a csr'), /Refused stdin: not a PEM certificate request/);
  refused(here(['request', '-'], agentCsr(state.dir, 'web99').pem), /Refused the CSR for web99: no host of that name in the inventory/);
  // A file named after one host holding another's CSR.
  writeFileSync(join(state.dir, 'web02.csr'), agentCsr(state.dir, 'db1', 'db1-b').pem);
  refused(here(['request', 'web02.csr']), /Refused web02\.csr: it is for db1, not web02/);
  refused(here(['request', '-'], makeTestCsr(agentCsr(state.dir, 'x').key, '/O=muster/OU=operator/CN=web02')), /subject is "CN=web02,OU=operator,O=muster"/);
  refused(here(['request', '-'], makeTestCsr(agentCsr(state.dir, 'y').key, '/O=muster/OU=agent/CN=web\\,02')), /Refused stdin: its subject/);
  // db1 has a signed key: another one is refused.
  refused(here(['request', '-'], agentCsr(state.dir, 'db1', 'db1-c').pem), /CSR for db1 does not match its signed key sha256:[0-9a-f]{16}…; revoke db1 first \(muster ca revoke db1\)/);
  refused(here(['request', 'missing.csr']), /missing\.csr/);
  refused(here(['sign', 'web02']), /No pending CSR named "web02"/);
  refused(here(['show', 'nobody']), /No agent certificate named "nobody"/);
  refused(here(['revoke', 'web01']), /agent web01 is revoked already/);
  assertUsageFailure(here(['sign']), /Give the hosts to sign, or --all, or --operator NAME/);
  assertUsageFailure(here(['sign', 'web01', '--all']), /one of them/);
  assertUsageFailure(here(['sign', '--operator', 'carol', '--days', 'ten']), /Invalid --days "ten"/);
  assertUsageFailure(here(['sign', '--operator', 'carol', '--days', '0']), /Invalid --days 0: give a whole number of days from 1 to 36500/);
  refused(here(['sign', '--operator', 'a/b']), /Invalid operator name "a\/b"/);
});

test('init takes --san and --days, and says what it made as JSON', () => {
  const made = JSON.parse(ok(ca(['init', '--san', '10.0.0.9', '--san', 'broker.lan', '--days', '20', '--json'], undefined, join(state.dir, 'other'))).stdout) as {
    notAfter: string; broker: { altNames: string[] };
  };
  assert.deepEqual(made.broker.altNames, ['IP:10.0.0.9', 'DNS:broker.lan', 'IP:127.0.0.1', 'DNS:localhost']);
  assert.ok(Math.abs(Date.parse(made.notAfter) - (Date.now() + 20 * 86_400_000)) < 120_000);
  refused(ca(['init', '--san', 'a b'], undefined, join(state.dir, 'third')), /Invalid subject alternative name "a b"/);
  assert.equal(ok(ca(['sign', '--operator', 'alice', '-q'], undefined, join(state.dir, 'other'))).stdout, '');
});

test('ca request - stops reading stdin one byte past the CSR limit (a stdin that never ends is refused, not waited for)', { timeout: 30_000 }, async () => {
  const where = join(state.dir, 'stdin-state');
  const child = spawn(process.execPath, [musterBin, 'ca', 'request', '-'], {
    cwd: state.dir, env: { ...process.env, MUSTER_INVENTORY: '', MUSTER_STATE: where }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  child.stdin.on('error', () => { /* muster closed its stdin: what this test wants */ });
  // 64 KiB written and stdin left open: muster must not wait for its end.
  child.stdin.write('x'.repeat(64 * 1024));
  const code = await new Promise<number | null>((done) => child.once('close', done));
  child.stdin.destroy();
  assert.equal(code, 2, stderr);
  assert.match(stderr, /^muster: Refused stdin: it is over 16384 bytes, not one certificate request\n/);
});

test('ca show refuses a name the CA would not sign before reading any file named after it', () => {
  const where = join(state.dir, 'show-state');
  ok(ca(['init'], undefined, where));
  // A JSON file outside pending/ that a `../` name would reach: its content must not matter.
  writeFileSync(join(where, 'ca', 'outside.json'), '{"name": "x"}');
  refused(ca(['show', '../outside'], undefined, where), /Invalid host name "\.\.\/outside"/);
});
