/**
 * The node process rules: a pid file is believed only for that node's nats-server, and a
 * node that cannot start says why, with its log.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EnvironmentError } from '../core/errors.js';
import { brokerDown, brokerStatus, brokerUp, writeBrokerFiles } from './process.js';
import { runningPid, signalNode, startNode } from './nodeProcess.js';
import { makeCaTestState, type TestState } from './testState.test-helper.js';
import { freeBasePorts, testInventory } from './testInventory.test-helper.js';

describe('broker node processes', () => {
  let state: TestState;
  before(async () => { state = await makeCaTestState({ agents: ['web01'], operators: [] }); });
  after(async () => {
    await brokerDown(state.stateDir);
    state.remove();
  });

  it('never signals a pid that is not this node\'s nats-server', async () => {
    const inventory = await testInventory(state.stateDir, await freeBasePorts(1));
    await brokerUp(inventory, state.stateDir);
    await brokerDown(state.stateDir);
    // A pid file left behind now names another process: this test's own.
    const pidFile = join(state.stateDir, 'broker', 'node-1.pid');
    writeFileSync(pidFile, `${process.pid}\n`);
    assert.equal(await runningPid({ pidFile, config: join(state.stateDir, 'broker', 'node-1.conf') }), undefined);
    assert.deepEqual((await brokerStatus(state.stateDir)).map((node) => node.alive), [false]);
    assert.deepEqual(await brokerDown(state.stateDir), []);
  });

  it('reports a node that exits at start with the end of its log', async () => {
    const [port = 0] = await freeBasePorts(1);
    const inventory = await testInventory(state.stateDir, [port]);
    const squatter = createServer();
    await new Promise<void>((listening) => squatter.listen(port, '127.0.0.1', listening));
    try {
      await assert.rejects(brokerUp(inventory, state.stateDir), (error: unknown) =>
        error instanceof EnvironmentError &&
        /^Broker node 1 \(tls:\/\/127\.0\.0\.1:\d+\) exited with 1; the end of .*node-1\.log:\n/.test(error.message) &&
        /address already in use/.test(error.message));
    } finally {
      await new Promise((closed) => squatter.close(closed));
    }
    assert.deepEqual((await brokerStatus(state.stateDir)).map((node) => node.alive), [false]);
  });
});

describe('a node that does not come up in time', () => {
  it('is killed and its pid file removed before the error', async () => {
    const state = await makeCaTestState({ agents: ['web01'] });
    try {
      const inventory = await testInventory(state.stateDir, await freeBasePorts(1));
      const { nodes: [node] } = await writeBrokerFiles(inventory, state.stateDir);
      assert.ok(node);
      let pid = 0;
      // No time at all: the first look finds no ports file yet (a nats-server takes milliseconds to listen).
      await assert.rejects(startNode(node, { timeoutMs: 0 }), (error: unknown) => {
        assert.ok(error instanceof EnvironmentError, String(error));
        const match = /^Broker node 1 \(pid (\d+)\) has not opened its listeners/.exec(error.message);
        assert.ok(match, error.message);
        pid = Number(match[1]);
        return true;
      });
      assert.equal(existsSync(node.pidFile), false, 'the pid file is left');
      assert.equal(existsSync(`/proc/${pid}`), false, `nats-server ${pid} is left running`);
      assert.equal(signalNode(pid, 'SIGHUP', node.pidFile), false, 'a gone pid is not running (ESRCH)');
    } finally {
      await brokerDown(state.stateDir);
      state.remove();
    }
  });
});

describe('signalNode', () => {
  it('is a one-line EnvironmentError when the pid is another user\'s (EPERM)', { skip: process.getuid?.() !== 0 && 'needs root to run the signaller as nobody' }, async () => {
    // The target: a process of this (root) user. The signaller: a node run as nobody.
    const target = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const module = new URL('./nodeProcess.js', import.meta.url).pathname;
      const script = `import { signalNode } from ${JSON.stringify(module)};
        try { signalNode(${target.pid}, 'SIGTERM', 'node-1.pid'); console.log('sent'); }
        catch (error) { console.log(error.constructor.name + ': ' + error.message); }`;
      const ran = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
      assert.equal(ran.stdout, `EnvironmentError: Cannot send SIGTERM to broker node pid ${target.pid} (node-1.pid): not permitted; it runs as another user\n`, ran.stderr);
      assert.equal(target.exitCode, null);
    } finally {
      target.kill();
    }
  });
});
