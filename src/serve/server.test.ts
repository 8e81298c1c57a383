import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, rmSync } from 'node:fs';
import { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { AccessLog } from './accessLog.js';
import type { MetadataServer } from './server.js';
import { editInventory, get, serverFor, tempInventory, until } from './server.test-helper.js';

// bash runs curl against this process's server: it must be async, or the event loop that answers is blocked.
const run = promisify(execFile);

const hostileMotd = "it's $(touch PWNED) `touch PWNED` \"q\" \\ ; rm -rf / ${HOME} *\nline2 'x'";

describe('muster serve routes and formats (real HTTP)', () => {
  let server: MetadataServer;
  let dir: string;
  before(async () => {
    const inventory = tempInventory();
    dir = inventory.dir;
    server = await serverFor(inventory.file, { watch: false });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const json = async (path: string): Promise<unknown> => {
    const reply = await get(server, path);
    assert.equal(reply.status, 200, `${path}: ${reply.body}`);
    assert.match(String(reply.headers['content-type']), /^application\/json/);
    assert.equal(reply.headers['x-muster-index'], '1');
    return JSON.parse(reply.body);
  };

  /** Evaluates a sh response in bash from the temp folder (so a stray `touch PWNED` would show) and prints the named variables as JSON. */
  const evalSh = async (path: string, names: string[]): Promise<Record<string, string>> => {
    const reply = await get(server, path);
    assert.equal(reply.status, 200, `${path}: ${reply.body}`);
    assert.match(String(reply.headers['content-type']), /^text\/x-shellscript/);
    const script = `set -eu; eval "$(curl -sf "$URL")"; for n in ${names.join(' ')}; do printf '%s\\0' "\${!n}"; done`;
    const out = (await run('bash', ['-c', script], { cwd: dir, env: { ...process.env, URL: `http://127.0.0.1:${server.port}${path}` } })).stdout;
    assert.equal(existsSync(join(dir, 'PWNED')), false, 'eval ran a command from the data');
    const values = out.split('\0').slice(0, -1);
    return Object.fromEntries(names.map((name, i) => [name, values[i] ?? '']));
  };

  it('/v1/hosts lists every host, stopped ones too, with fields and vars', async () => {
    const hosts = (await json('/v1/hosts')) as { name: string; state: string; vars: Record<string, unknown> }[];
    assert.deepEqual(hosts.map((h) => h.name), ['web001.example.lan', 'web002.example.lan', 'web003.example.lan', 'web004.example.lan', 'db1.example.lan']);
    assert.equal(hosts[4]?.state, 'stop');
    assert.equal(hosts[4]?.vars['motd'], hostileMotd);
  });

  it('/v1/hosts/{host} and its properties (fields and vars); a name with dots and a suffix', async () => {
    const host = (await json('/v1/hosts/web004.example.lan')) as Record<string, unknown>;
    assert.deepEqual(host, { name: 'web004.example.lan', address: '127.0.1.14', user: 'root', state: 'ok', roles: ['web'], vars: { ntp: 'ntp1.example.lan', http_port: 8080, vip: '127.0.0.100', dc: 'os1' } });
    assert.equal(await json('/v1/hosts/web004.example.lan/address'), '127.0.1.14');
    assert.equal(await json('/v1/hosts/web004.example.lan/http_port.json'), 8080);
    assert.deepEqual(await json('/v1/hosts/web004.example.lan/roles'), ['web']);
  });

  it('/v1/roles, /v1/roles/{role}, and hosts/addresses/count/nodeset/skipped; skip-states follow selections', async () => {
    const roles = (await json('/v1/roles')) as { name: string; count: number }[];
    assert.deepEqual(roles.map((r) => [r.name, r.count]), [['web', 4], ['db', 0], ['empty', 0]]);
    const web = (await json('/v1/roles/web')) as Record<string, unknown>;
    assert.equal(web['description'], 'Apache front ends');
    assert.equal(web['nodeset'], 'web[001-004].example.lan');
    assert.deepEqual(await json('/v1/roles/web/addresses'), ['127.0.1.11', '127.0.1.12', '127.0.1.13', '127.0.1.14']);
    assert.equal(await json('/v1/roles/web/count'), 4);
    assert.deepEqual(await json('/v1/roles/db/hosts'), []);
    assert.deepEqual(await json('/v1/roles/db/skipped'), ['db1.example.lan']);
    assert.deepEqual(await json('/v1/roles/db/hosts?all_states=1'), ['db1.example.lan']);
  });

  it('a role variable: one value when the hosts agree, each host\'s when they differ, the role\'s own when it has no hosts', async () => {
    assert.equal(await json('/v1/roles/web/vip'), '127.0.0.100');
    assert.deepEqual(await json('/v1/roles/web/http_port'), { 'web001.example.lan': 80, 'web002.example.lan': 80, 'web003.example.lan': 80, 'web004.example.lan': 8080 });
    assert.equal(await json('/v1/roles/empty/lonely'), 'yes');
  });

  it('/v1/groups and the short dmetad form /{role}/{property}', async () => {
    assert.deepEqual(await json('/v1/groups'), [{ name: 'tokyo', selector: 'dc=tk1', count: 3, nodeset: 'web[001-003].example.lan' }]);
    assert.deepEqual(await json('/v1/groups/tokyo/hosts'), ['web001.example.lan', 'web002.example.lan', 'web003.example.lan']);
    assert.equal(await json('/v1/groups/tokyo/dc'), 'tk1');
    assert.equal(((await json('/v1/groups/tokyo.json')) as { count: number }).count, 3);
    assert.equal(await json('/web/count'), 4);
    assert.deepEqual(await json('/web/hosts'), await json('/v1/roles/web/hosts'));
  });

  it('/v1/select?q= with operators, and a bad selector is a 400 saying why', async () => {
    const picked = (await json('/v1/select?q=web%26dc%3Dtk1!web001.example.lan')) as { hosts: string[]; count: number };
    assert.deepEqual(picked.hosts, ['web002.example.lan', 'web003.example.lan']);
    const bad = await get(server, '/v1/select?q=web%26%26');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /Invalid selector/);
    assert.equal((await get(server, '/v1/select')).status, 400);
  });

  it('/v1/sd/prometheus is Prometheus http_sd JSON: address:port targets, role/state and __meta_muster_ labels', async () => {
    const groups = (await json('/v1/sd/prometheus?sel=web&port=9100')) as { targets: string[]; labels: Record<string, string> }[];
    assert.equal(groups.length, 4);
    assert.deepEqual(groups[3], {
      targets: ['127.0.1.14:9100'],
      labels: { role: 'web', state: 'ok', __meta_muster_host: 'web004.example.lan', __meta_muster_roles: ',web,', __meta_muster_var_ntp: 'ntp1.example.lan', __meta_muster_var_http_port: '8080', __meta_muster_var_vip: '127.0.0.100', __meta_muster_var_dc: 'os1' },
    });
    for (const group of groups) for (const name of Object.keys(group.labels)) assert.match(name, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
    assert.ok(Array.isArray(await json('/v1/sd/prometheus')));
    assert.equal((await get(server, '/v1/sd/prometheus?port=http')).status, 400);
  });

  it('formats by suffix, ?format= and Accept; YAML parses to the JSON value', async () => {
    const expected = await json('/v1/roles/web');
    for (const [path, headers] of [['/v1/roles/web.yaml', {}], ['/v1/roles/web.yml', {}], ['/v1/roles/web?format=yaml', {}], ['/v1/roles/web', { accept: 'text/html, application/yaml;q=0.9, */*;q=0.1' }]] as const) {
      const reply = await get(server, path, { headers });
      assert.equal(reply.status, 200);
      assert.match(String(reply.headers['content-type']), /^application\/yaml/, path);
      assert.deepEqual(parse(reply.body), expected, path);
    }
    assert.match(String((await get(server, '/v1/roles/web', { headers: { accept: 'text/x-shellscript' } })).headers['content-type']), /shellscript/);
    assert.equal((await get(server, '/v1/roles/web?format=xml')).status, 400);
  });

  it('sh output evaluates in bash to exactly the values, hostile ones included, and never runs them', async () => {
    assert.deepEqual(await evalSh('/v1/roles/web/hosts.sh', ['hosts']), { hosts: 'web001.example.lan web002.example.lan web003.example.lan web004.example.lan' });
    assert.deepEqual(await evalSh('/v1/hosts/db1.example.lan.sh', ['name', 'address', 'note', 'var_motd']), { name: 'db1.example.lan', address: '127.0.1.21', note: 'disk replaced', var_motd: hostileMotd });
    assert.deepEqual(await evalSh('/v1/hosts/db1.example.lan/motd.sh', ['motd']), { motd: hostileMotd });
    assert.deepEqual(await evalSh('/v1/roles/db/motd.sh?all_states=1', ['motd']), { motd: hostileMotd });
    const fleet = await evalSh('/v1/hosts.sh', ['MUSTER_HOSTS', 'MUSTER_HOST_db1_example_lan_VAR_motd', 'MUSTER_ROLE_web_ADDRS']);
    assert.equal(fleet['MUSTER_HOST_db1_example_lan_VAR_motd'], hostileMotd);
    assert.equal(fleet['MUSTER_ROLE_web_ADDRS'], '127.0.1.11 127.0.1.12 127.0.1.13 127.0.1.14');
    assert.deepEqual(await evalSh('/v1/roles/web/http_port.sh', ['http_port_web004_example_lan', 'http_port_web001_example_lan']), { http_port_web004_example_lan: '8080', http_port_web001_example_lan: '80' });
  });

  it('an error in sh format is safe to eval: it prints to stderr and fails, whatever the path held', async () => {
    const reply = await get(server, '/v1/roles/$(touch%20PWNED)/hosts.sh');
    assert.equal(reply.status, 404);
    const result = await run('bash', ['-c', 'eval "$BODY"'], { cwd: dir, env: { ...process.env, BODY: reply.body } }).then(
      () => 'exit 0',
      (error: unknown) => String((error as { stderr: string }).stderr),
    );
    assert.match(result, /404: No role named "\$\(touch PWNED\)"/);
    assert.equal(existsSync(join(dir, 'PWNED')), false);
  });

  it('404 with a one-line reason for unknown names and routes', async () => {
    for (const [path, reason] of [
      ['/v1/hosts/nope', 'No host named "nope"'],
      ['/v1/roles/nope', 'No role named "nope"'],
      ['/v1/groups/nope/hosts', 'No group named "nope"'],
      ['/v1/roles/web/nope', 'No property named "nope": role web has no such field, and none of its hosts has such a var'],
      ['/v1/hosts/web001.example.lan/nope', 'No property named "nope": host web001.example.lan has no such field or var'],
      ['/nope/hosts', 'No role named "nope"'],
      ['/v1/nothing', 'No such route (see / for the list)'],
      ['/a/b/c', 'No such route (see / for the list)'],
    ]) {
      const reply = await get(server, path ?? '');
      assert.equal(reply.status, 404, path);
      assert.equal(JSON.parse(reply.body).error, reason, path);
      assert.doesNotMatch(JSON.parse(reply.body).error, /\n/);
    }
  });

  it('GET and HEAD only: POST, PUT, DELETE get 405 with Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const reply = await get(server, '/v1/hosts', { method });
      assert.equal(reply.status, 405, method);
      assert.equal(reply.headers['allow'], 'GET, HEAD');
    }
    const head = await get(server, '/v1/roles/web/hosts.json', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(Number(head.headers['content-length']), (await get(server, '/v1/roles/web/hosts.json')).body.length);
  });

  it('ETag and If-None-Match give a 304; /v1/health and /v1/status answer', async () => {
    const first = await get(server, '/v1/roles/web/hosts.json');
    const again = await get(server, '/v1/roles/web/hosts.json', { headers: { 'if-none-match': String(first.headers['etag']) } });
    assert.equal(again.status, 304);
    assert.deepEqual(await json('/v1/health'), { status: 'ok', index: 1 });
    const status = (await json('/v1/status')) as Record<string, unknown>;
    assert.equal(status['status'], 'ok');
    assert.equal(status['hosts'], 5);
  });
});

describe('muster serve: a throw while sending is a bug logged, never a crash (real HTTP)', () => {
  let server: MetadataServer;
  let dir: string;
  let file: string;
  const notes: { message: string; fields: Record<string, string | number> }[] = [];
  const errors: string[] = [];
  const log: AccessLog = {
    log: (entry) => {
      if (entry.error !== undefined) errors.push(entry.error);
    },
    note: (message, fields = {}) => notes.push({ message, fields }),
    flush: () => undefined,
  };
  // The fault is put in Node's own response methods, for requests that carry `x-fault: writeHead|end`, once each.
  const { writeHead, end } = ServerResponse.prototype;
  const faulted = new WeakSet<ServerResponse>();
  const faulty = (res: ServerResponse, method: string): boolean => {
    if (res.req.headers['x-fault'] !== method || faulted.has(res)) return false;
    faulted.add(res);
    return true;
  };
  before(async () => {
    ({ dir, file } = tempInventory());
    server = await serverFor(file, { watch: false, accessLog: log });
    mock.method(ServerResponse.prototype, 'writeHead', function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
      if (faulty(this, 'writeHead')) throw new Error('writeHead fault');
      return writeHead.apply(this, args);
    });
    mock.method(ServerResponse.prototype, 'end', function (this: ServerResponse, ...args: Parameters<ServerResponse['end']>) {
      if (faulty(this, 'end')) throw new Error('end fault');
      return end.apply(this, args as never);
    });
  });
  after(async () => {
    mock.restoreAll();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const bugs = (fault: string): number => notes.filter((note) => note.message === 'internal error (a bug)' && String(note.fields['stack']).includes(fault)).length;
  const edit = async (): Promise<void> => {
    editInventory(file);
    assert.equal(await server.reload(), 'changed');
  };

  it('before any header went out, at once or after a wait: logged with its stack, answered 500', async () => {
    const now = await get(server, '/v1/roles/web/count', { headers: { 'x-fault': 'writeHead' } });
    assert.equal(now.status, 500);
    assert.equal(JSON.parse(now.body).error, 'Internal error (logged)');
    assert.equal(bugs('writeHead fault'), 1);

    const parked = get(server, `/v1/roles/web/count?index=${server.index}&wait=30s`, { headers: { 'x-fault': 'writeHead' } });
    await until(() => server.watchers === 1);
    await edit();
    const later = await parked;
    assert.equal(later.status, 500);
    assert.equal(bugs('writeHead fault'), 2);
    await until(() => errors.length === 2);
    assert.deepEqual(errors, ['Internal error (logged)', 'Internal error (logged)']);
    assert.equal((await get(server, '/v1/roles/web/count')).body.trim(), '4');
  });

  it('once the headers went out, after a wait: logged, the connection cut, the server goes on', async () => {
    const parked = get(server, `/v1/roles/web/count?index=${server.index}&wait=30s`, { headers: { 'x-fault': 'end' } });
    await until(() => server.watchers === 1);
    await edit();
    await assert.rejects(parked, /socket hang up|ECONNRESET/);
    assert.equal(bugs('end fault'), 1);
    assert.equal((await get(server, '/v1/health')).status, 200);
  });
});
