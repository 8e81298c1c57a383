/**
 * The caller keepalive (protocol.ts `CommandAlive`): a real agent stops a command whose caller
 * went quiet, and keeps one whose caller (the nats transport) still waits. The agent's caller
 * silence is lowered to 3 s so the test stays short; the transport's interval is the default.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { agentDir, brokerFor } from '../../agent/agentFixture.test-helper.js';
import { startAgent, type AgentDaemon } from '../../agent/daemon.js';
import type { TestBroker } from './testBroker.test-helper.js';
import { natsTransport } from './transport.js';

const host = 'alive01';
const target = { name: host, address: host };
let broker: TestBroker;
let agent: AgentDaemon;
const lines: string[] = [];

before(async () => {
  broker = await brokerFor([host]);
  agent = await startAgent({ dir: agentDir(broker, host), log: (line) => void lines.push(line), handleSignals: false, graceMs: 500, callerSilenceMs: 3000 });
});

after(async () => {
  await agent?.stop();
  await broker?.stop();
});

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // Only zombies left (PID 1 here reaps orphans late) counts as gone.
  const out = existsSync(`/proc/${pgid}/stat`) ? readFileSync(`/proc/${pgid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z /.test(out);
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return check();
}

test('a command whose caller connection closed is stopped within the caller silence', async () => {
  const pidFile = join(tmpdir(), `muster-alive-${process.pid}`);
  rmSync(pidFile, { force: true });
  const transport = natsTransport({ servers: [broker.url], ...broker.files('alice'), operator: 'alice' });
  const session = await transport.connect(target);
  const running = session.exec(`echo $$ > ${pidFile}; sleep 600`).catch((error: unknown) => error);
  assert.ok(await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 10_000), 'the command did not start');
  const pgid = Number(readFileSync(pidFile, 'utf8'));
  assert.ok(groupAlive(pgid));
  // The caller is gone without a cancel: the connection just closes.
  await transport.close();
  await running;
  const closedAt = Date.now();
  assert.ok(await until(() => !groupAlive(pgid), 12_000), `process group ${pgid} still runs ${Date.now() - closedAt} ms after its caller left`);
  assert.ok(lines.some((line) => line.includes('no command.alive from its caller')), lines.join('\n'));
  rmSync(pidFile, { force: true });
});

test('a command whose caller waits runs past the caller silence', async () => {
  const transport = natsTransport({ servers: [broker.url], ...broker.files('alice'), operator: 'alice' });
  try {
    const session = await transport.connect(target);
    const result = await session.exec('sleep 5; echo done');
    assert.equal(result.exitCode, 0);
    assert.equal(result.stdout.toString(), 'done\n');
  } finally {
    await transport.close();
  }
});
