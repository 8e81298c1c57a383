/**
 * The render tests' fleet (testdata/fleet.yaml), built by hand until the
 * inventory loader lands; then this loads the YAML through the real loader.
 */
import type { Check, Host, Inventory, Role, VarValue } from '../inventory/types.js';

const file = new URL('../../src/render/testdata/fleet.yaml', import.meta.url).pathname;
const at = { file, line: 1, col: 1 };

function host(name: string, address: string, roles: string[], vars: Record<string, VarValue>, extra: Partial<Host> = {}): Host {
  const defaults = { nagios_plugins: '/usr/lib/nagios/plugins' };
  const roleVars: Record<string, Record<string, VarValue>> = { web: { http_port: 80, vip: '127.0.0.100', vrrp_router_id: 51 }, db: { pg_port: 5432 } };
  return {
    name, address, roles, state: 'ok', user: 'root', port: 22,
    vars: { ...defaults, ...Object.assign({}, ...roles.map((r) => roleVars[r])), ...vars },
    provenance: {}, definedAt: at, ...extra,
  };
}

/** The test fleet as an Inventory. */
export function fixtureInventory(): Inventory {
  const hosts = [
    host('web001.example.lan', '127.0.0.11', ['web'], { dc: 'tk1', rank: 2, name: 'shadow', keepalived_priority: 200 }),
    host('web002.example.lan', '127.0.0.12', ['web'], { dc: 'tk1', rank: 3, http_port: 8080, checks: { ping: false } }),
    host('web003.example.lan', '127.0.0.13', ['web'], { dc: 'os1', rank: 1, checks: { http: 'check_http -H {{ address }} -p {{ http_port }} -u /health' } }, { port: 2222 }),
    host('db1.example.lan', '127.0.0.21', ['db'], {}, { state: 'stop', note: 'disk replaced' }),
  ];
  const roles = new Map<string, Role>([
    ['web', { name: 'web', description: 'Apache front ends', vars: { http_port: 80, vip: '127.0.0.100', vrrp_router_id: 51 }, definedAt: at }],
    ['db', { name: 'db', vars: { pg_port: 5432 }, definedAt: at }],
  ]);
  const checks = new Map<string, Check>([
    ['ping', { name: 'ping', command: 'check_ping -H {{ address }} -w 100,20% -c 500,60%', on: 'all', description: 'PING', definedAt: at }],
    ['http', { name: 'http', command: 'check_http -H {{ address }} -p {{ http_port }}', on: 'web', definedAt: at }],
    ['pgsql', { name: 'pgsql', command: 'check_pgsql -H {{ address }} -P {{ pg_port }}', on: 'role:db', definedAt: at }],
  ]);
  return {
    files: [file], states: ['ok', 'warn', 'stop'], skipStates: ['stop'], hosts,
    hostsByName: new Map(hosts.map((h) => [h.name, h])), roles,
    groups: new Map([['tokyo', { name: 'tokyo', selector: 'dc=tk1', definedAt: at }]]), checks,
  };
}

/** A stand-in for the inventory's `select`, enough for the fixture's selectors. */
export function fixtureSelect(inventory: Inventory, selectors: string[], options: { allStates: boolean }): Host[] {
  const out: Host[] = [];
  for (const selector of selectors) {
    if (/[&!,()]/.test(selector)) throw new Error(`fixture selector cannot parse "${selector}"`);
    for (const h of inventory.hosts) {
      const skip = !options.allStates && inventory.skipStates.includes(h.state);
      const role = selector.replace(/^role:/, '');
      const match = selector === 'all' || h.roles.includes(role) || h.name === selector
        || (selector.includes('=') && String(h.vars[selector.split('=')[0] ?? '']) === selector.split('=')[1]);
      if (match && (!skip || h.name === selector) && !out.includes(h)) out.push(h);
    }
  }
  return out;
}
