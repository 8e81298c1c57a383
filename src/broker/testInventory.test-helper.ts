/**
 * An inventory for the broker's tests, loaded by the real loader from a YAML file written
 * into the test's state folder, with `agents.servers` on free loopback ports.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadInventory } from '../inventory/load.js';
import type { Inventory } from '../inventory/types.js';

/** Ports nobody listens on now (base, base+2000 and base+4000 all free), for `count` nodes. */
export async function freeBasePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if (ports.includes(port)) continue;
    const free = await Promise.all([port, port + 2000, port + 4000].map((candidate) => new Promise<boolean>((done) => {
      const server = createServer();
      server.once('error', () => done(false));
      server.listen(candidate, '127.0.0.1', () => server.close(() => done(true)));
    })));
    if (free.every(Boolean)) ports.push(port);
  }
  return ports;
}

/** The fleet every broker test uses: web01, web02 (role web), db01 (role db); alice (ops), audit (auditors) and carol (publishers: may publish the inventory). */
export async function testInventory(stateDir: string, ports: number[]): Promise<Inventory> {
  const path = join(stateDir, 'muster.yaml');
  writeFileSync(path, [
    'version: 1',
    'roles: { web: {}, db: {} }',
    'hosts:',
    '  web01: { roles: [web] }',
    '  web02: { roles: [web] }',
    '  db01: { roles: [db] }',
    'agents:',
    `  servers: [${ports.map((port) => `tls://127.0.0.1:${port}`).join(', ')}]`,
    '  operators: { alice: [ops], audit: [auditors], carol: [publishers] }',
    '  permissions: { ops: [command, file, facts, service], auditors: [facts, file.stat], publishers: [inventory.publish] }',
    '',
  ].join('\n'));
  return loadInventory({ path });
}
