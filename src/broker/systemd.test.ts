/**
 * The systemd units of `broker up --systemd`, checked by the real `systemd-analyze verify`
 * when this machine has it (the unit's text is checked either way).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brokerNodes } from './config.js';
import { brokerUnits, findNatsServer, unitFor } from './systemd.js';
import { makeTestState, type TestState } from './testState.test-helper.js';
import { testInventory } from './testInventory.test-helper.js';

const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

function verify(path: string): { status: number | null; output: string } {
  const ran = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  return { status: ran.status, output: `${ran.stdout}${ran.stderr}` };
}

describe('broker systemd units', () => {
  let state: TestState;
  let unitDir: string;
  before(() => {
    state = makeTestState({ agents: [], operators: [] });
    unitDir = mkdtempSync(join(tmpdir(), 'muster-units-'));
  });
  after(() => {
    state.remove();
    rmSync(unitDir, { recursive: true, force: true });
  });

  it('writes one unit per node and the configs, and starts nothing', async () => {
    const inventory = await testInventory(state.stateDir, [24300, 24301, 24302]);
    const written = await brokerUnits(inventory, state.stateDir, { cluster: 3, unitDir });
    assert.deepEqual(written, [1, 2, 3].map((index) => join(unitDir, `muster-broker-${index}.service`)));
    const unit = readFileSync(written[2] ?? '', 'utf8');
    assert.match(unit, new RegExp(`^ExecStart=${await findNatsServer()} -c ${join(state.stateDir, 'broker', 'node-3.conf')}$`, 'm'));
    assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    assert.match(readFileSync(join(state.stateDir, 'broker', 'node-3.conf'), 'utf8'), /listen: "127\.0\.0\.1:24302"/);
    assert.equal(spawnSync('pgrep', ['-f', join(state.stateDir, 'broker')]).status, 1, 'no nats-server was started');
    if (hasAnalyze) {
      for (const path of written) {
        const checked = verify(path);
        assert.equal(checked.status, 0, checked.output);
        assert.equal(checked.output, '');
      }
    }
  });

  it('quotes and escapes a config path with spaces, % and $ so systemd reads it back', { skip: !hasAnalyze && 'no systemd-analyze' }, async () => {
    const inventory = await testInventory(state.stateDir, [24310]);
    const [node] = brokerNodes(inventory, join(state.stateDir, 'odd 100% $HOME'));
    assert.ok(node);
    const unit = unitFor(node, await findNatsServer());
    assert.match(unit.content, /-c "[^"]*odd 100%% \$\$HOME\/broker\/node-1\.conf"$/m);
    const path = join(unitDir, unit.name);
    writeFileSync(path, unit.content);
    const checked = verify(path);
    assert.equal(checked.status, 0, checked.output);
  });
});
