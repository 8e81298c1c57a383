import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidFileError } from '../core/errors.js';
import { parseInventory } from './parse.js';

function problemsOf(text: string): string[] {
  try {
    parseInventory([{ path: '/srv/fleet/muster.yaml', text }]);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidFileError)) throw error;
    return error.problems.map((problem) => `${problem.at?.line}:${problem.at?.col}: ${problem.message}`);
  }
}

test('the agents section: defaults filled in, the state folder made absolute against its file', () => {
  const inventory = parseInventory([{ path: '/srv/fleet/muster.yaml', text: 'hosts: { web01: {} }\nagents:\n  state: .muster\n  operators: { alice: [ops] }\n  permissions: { ops: [command, file.stat, "*"] }\n' }]);
  assert.deepEqual(inventory.agents, {
    servers: ['tls://127.0.0.1:4222'], state: '/srv/fleet/.muster', operators: { alice: ['ops'] }, permissions: { ops: ['command', 'file.stat', '*'] },
  });
  assert.equal(parseInventory([{ path: 'f.yaml', text: 'hosts: { web01: {} }\n' }]).agents, undefined);
});

test('a bad server, grant or operator name is a problem at its place', () => {
  assert.deepEqual(problemsOf('agents:\n  servers: [http://x:1]\n'), ['2:13: "agents.servers.0": a server is tls://HOST:PORT']);
  assert.deepEqual(problemsOf('agents:\n  permissions: { ops: ["command.>"] }\n'), ['2:24: "agents.permissions.ops.0": a permission is a module ("file"), a module action ("file.stat") or "*"']);
  assert.equal(problemsOf('agents:\n  operators: { "a b": [ops] }\n').length, 1);
});

test('the agents section may come from one file only', () => {
  assert.throws(() => parseInventory([
    { path: 'a.yaml', text: 'agents: { servers: [tls://127.0.0.1:4222] }\n' },
    { path: 'b.yaml', text: 'agents: { servers: [tls://127.0.0.1:4223] }\n' },
  ]), /"agents" is defined twice/);
});
