/**
 * Agents enrolled by the installer, over real HTTP with a real fleet CA: `muster serve`'s
 * enroll.sh fetched and run with the real `sh`, `curl` and `openssl` into a scratch folder,
 * its CSR POSTed back from the host's reserved address and signed (autosign) or left pending;
 * the refusals (another address, netboot off, a CSR naming another host, no token); the
 * preseed's late_command run as d-i would (in-target stubbed: the target is this machine).
 * Serve's token never reaches the host (its scripts and answer files carry the host's key
 * instead; a curl wrapper records every argv) and, like the key and the CSR, never the access log.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { agentCsr, opensslVerify } from '../ca/ca.test-helper.js';
import { initCa } from '../ca/init.js';
import { listPending } from '../ca/pending.js';
import { caPaths } from '../ca/paths.js';
import { fixtureFolder } from '../provision/fixture.test-helper.js';
import { ProvisionKeys } from '../provision/hostKey.js';
import { createAccessLog } from '../serve/accessLog.js';
import { startServer, type MetadataServer } from '../serve/server.js';
import { musterSync } from './commands/cli.test-helper.js';
import { serveEnroller } from './serveEnroll.js';

const token = 's3cret-enroll-token';
const folders: string[] = [];
after(() => { for (const dir of folders) rmSync(dir, { recursive: true, force: true }); });

/**
 * The fleet of the provisioning tests with agents: web1 (autosigned) reserves 127.0.0.1,
 * db1 (not autosigned) 127.0.0.2.
 */
function agentFleet(agents: string): string {
  const dir = fixtureFolder((text) => text
    .replace('eth0: { mac: "52:54:00:00:00:11", ip: 10.0.0.11', 'eth0: { mac: "52:54:00:00:00:11", ip: 127.0.0.1')
    .replace('eth0: { mac: "52:54:00:00:00:21", ip: 10.0.0.21', 'eth0: { mac: "52:54:00:00:00:21", ip: 127.0.0.2')
    .concat(agents));
  folders.push(dir);
  return dir;
}

/** A folder of commands put first on PATH: `curl` records its argv (and may add options), `in-target` runs its command here. */
function stubs(dir: string, curlOptions = ''): { path: string; argv: string } {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const argv = join(dir, 'curl-argv');
  writeFileSync(join(bin, 'curl'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argv}'\nexec /usr/bin/curl ${curlOptions} "$@"\n`);
  writeFileSync(join(bin, 'in-target'), '#!/bin/sh\nexec "$@"\n');
  chmodSync(join(bin, 'curl'), 0o755);
  chmodSync(join(bin, 'in-target'), 0o755);
  return { path: `${bin}:${process.env['PATH'] ?? ''}`, argv };
}

/** Runs `script` with sh, the agent folder `agentDir`, the stubs first on PATH (not spawnSync: the server is in this process). */
function runScript(script: string, agentDir: string, path: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { env: { ...process.env, PATH: path, MUSTER_AGENT_DIR: agentDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A POST of `body` to `path` from `localAddress` (Node's fetch cannot choose its source address). */
function postFrom(server: MetadataServer, path: string, body: string, localAddress: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: 'POST', localAddress, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/pkcs10' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

async function started(dir: string, log: string[]): Promise<MetadataServer> {
  return startServer({
    inventory: { path: join(dir, 'muster.yaml') }, port: 0, token, debounceMs: 20, settleMs: 20,
    accessLog: createAccessLog({ write: (text) => { log.push(text); } }),
    enroller: serveEnroller({ env: {} }),
  });
}

describe('serve: agents enrolled by the installer (enroll.sh, POST …/enroll)', () => {
  it('signs an autosigned host\'s CSR at once, leaves another pending, and refuses what it must', async () => {
    const dir = agentFleet('agents:\n  servers: [tls://127.0.0.1:4222]\n  state: state\n  autosign: role:web\n');
    const stateDir = join(dir, 'state');
    await initCa(stateDir, { sans: ['127.0.0.1'] });
    const log: string[] = [];
    const server = await started(dir, log);
    const auth = { authorization: `Bearer ${token}` };
    try {
      assert.equal((await fetch(`${server.url}/v1/provision/web1.example.lan/enroll.sh`)).status, 401, 'the token is required when serve has one');
      const served = await fetch(`${server.url}/v1/provision/web1.example.lan/enroll.sh`, { headers: auth });
      assert.equal(served.status, 200);
      assert.match(served.headers.get('content-type') ?? '', /^text\/x-shellscript/);
      const script = await served.text();

      // web1: autosign selects it (role:web), and it asks from 127.0.0.1, its reserved address.
      const web1 = stubs(join(dir, 'web1'));
      const agentDir = join(dir, 'web1/etc/muster-agent');
      const ran = await runScript(script, agentDir, web1.path);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /^muster enroll: web1\.example\.lan: signed \(serial=[0-9A-F]+\); wrote .*\/agent\.crt$/m);
      assert.equal(opensslVerify(join(agentDir, 'ca.crt'), join(agentDir, 'agent.crt')), `${join(agentDir, 'agent.crt')}: OK`);
      assert.equal(readFileSync(join(agentDir, 'ca.crt'), 'utf8'), readFileSync(caPaths(stateDir).cert, 'utf8'));
      const subject = execFileSync('openssl', ['x509', '-in', join(agentDir, 'agent.crt'), '-noout', '-subject', '-nameopt', 'RFC2253'], { encoding: 'utf8' });
      assert.equal(subject.trim(), 'subject=CN=web1.example.lan,OU=agent,O=muster');
      assert.equal(statSync(join(agentDir, 'agent.key')).mode & 0o777, 0o600, 'the key is 0600');
      assert.deepEqual(JSON.parse(readFileSync(join(agentDir, 'agent.json'), 'utf8')), { name: 'web1.example.lan', servers: ['tls://127.0.0.1:4222'], roles: ['web'] });
      assert.deepEqual(execFileSync('ls', [agentDir], { encoding: 'utf8' }).trim().split('\n'), ['agent.crt', 'agent.csr', 'agent.json', 'agent.key', 'ca.crt'], 'no temp file left');

      // Run again: the key is kept, and its certificate is the answer.
      const first = readFileSync(join(agentDir, 'agent.crt'), 'utf8');
      const again = await runScript(script, agentDir, web1.path);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(readFileSync(join(agentDir, 'agent.crt'), 'utf8'), first);

      // db1: not autosigned; it asks from its reserved 127.0.0.2 (curl made to send from there).
      const db1 = stubs(join(dir, 'db1'), '--interface 127.0.0.2');
      const db1Script = await (await fetch(`${server.url}/v1/provision/db1.example.lan/enroll.sh?token=${token}`)).text();
      const pending = await runScript(db1Script, join(dir, 'db1/agent'), db1.path);
      assert.equal(pending.code, 0, pending.stderr);
      assert.equal(pending.stdout, 'muster enroll: db1.example.lan: CSR pending (agents.autosign does not select db1.example.lan); on the operator machine: muster ca sign db1.example.lan, then muster agent install db1.example.lan\n');
      assert.equal(existsSync(join(dir, 'db1/agent/agent.crt')), false);
      assert.deepEqual((await listPending(stateDir)).map((entry) => [entry.name, entry.source]), [['db1.example.lan', { via: 'provision', address: '127.0.0.2' }]]);
      const listed = musterSync(['ca', 'list', '-i', join(dir, 'muster.yaml')], { env: { ...process.env, MUSTER_INVENTORY: '', MUSTER_STATE: '' } });
      assert.match(listed.stdout, /^ {2}db1\.example\.lan {2}key sha256:[0-9a-f]+… {2}from provision 127\.0\.0\.2 {2}at /m, listed.stdout + listed.stderr);

      // The token never reaches the host: the scripts POST with the host's own key, and no curl argv (all recorded) holds the token.
      const argv = readFileSync(web1.argv, 'utf8') + readFileSync(db1.argv, 'utf8');
      const keys = new ProvisionKeys(token);
      assert.ok(argv.includes(`/v1/provision/web1.example.lan/${keys.of('web1.example.lan')}/enroll`), argv);
      assert.ok(argv.includes(`/v1/provision/db1.example.lan/${keys.of('db1.example.lan')}/enroll`), argv);
      assert.doesNotMatch(script + db1Script + argv, new RegExp(token));

      // Refusals, each one line.
      const csr = agentCsr(dir, 'edge1.example.lan');
      const stranger = await postFrom(server, '/v1/provision/edge1.example.lan/enroll', csr.pem, '127.0.0.9');
      assert.deepEqual(stranger, { status: 403, text: 'edge1.example.lan: refused the CSR from 127.0.0.9: only edge1.example.lan\'s reserved addresses may send it (10.0.0.31)\n' });
      const other = await postFrom(server, '/v1/provision/web1.example.lan/enroll', agentCsr(dir, 'db1.example.lan', 'db1-other').pem, '127.0.0.1');
      assert.deepEqual(other, { status: 409, text: 'web1.example.lan: Refused the CSR from 127.0.0.1: it is for db1.example.lan, not web1.example.lan\n' });
      const garbage = await postFrom(server, '/v1/provision/web1.example.lan/enroll', 'hello', '127.0.0.1');
      assert.equal(garbage.status, 409);
      assert.match(garbage.text, /^web1\.example\.lan: Refused the CSR from 127\.0\.0\.1: not a PEM certificate request/);
      const installed = await postFrom(server, '/v1/provision/web2.example.lan/enroll', agentCsr(dir, 'web2.example.lan').pem, '127.0.0.1');
      assert.deepEqual(installed, { status: 409, text: 'web2.example.lan: netboot is off (installed): an installed host\'s agent is enrolled with muster agent install web2.example.lan\n' });
      assert.equal((await fetch(`${server.url}/v1/provision/web2.example.lan/enroll.sh`, { headers: auth })).status, 404);
      assert.equal((await postFrom(server, '/v1/provision/web1.example.lan/enroll', 'x'.repeat(17 * 1024), '127.0.0.1')).status, 413);
      assert.equal((await fetch(`${server.url}/v1/provision/web1.example.lan/enroll`, { headers: auth })).status, 405);

      // The preseed's last step as d-i runs it (sh -c, in-target stubbed): enroll.sh, then the callback.
      const preseed = await (await fetch(`${server.url}/v1/provision/web1.example.lan/preseed.cfg`, { headers: auth })).text();
      assert.match(preseed, /^d-i pkgsel\/include string curl openssl$/m);
      writeFileSync(join(dir, 'preseed.cfg'), preseed);
      execFileSync('debconf-set-selections', ['-c', join(dir, 'preseed.cfg')]);
      const late = /^d-i preseed\/late_command string (.*)$/m.exec(preseed)?.[1] ?? assert.fail('no late_command');
      const last = await runScript(late, agentDir, web1.path);
      assert.equal(last.code, 0, last.stderr);
      assert.match(last.stdout, /^muster enroll: web1\.example\.lan: signed .*\nweb1\.example\.lan: netboot false\n$/);
      assert.match(readFileSync(join(dir, 'muster.yaml'), 'utf8'), / {2}web1\.example\.lan:\n(?: {4}.*\n)*? {6}netboot: false\n/);
      // Installed now (serve reloads the edit): enroll.sh is refused, the late_command says so and still calls back.
      let status = 200;
      for (let i = 0; i < 100 && status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        status = (await fetch(`${server.url}/v1/provision/web1.example.lan/enroll.sh`, { headers: auth })).status;
      }
      assert.equal(status, 404);
      const refused = await runScript(late, agentDir, web1.path);
      assert.equal(refused.code, 0, 'a failed enrollment does not fail the installation');
      assert.match(refused.stdout, /^muster: enrolling the agent failed \(exit 22\): the host is installed without it; muster agent install web1\.example\.lan after its first boot\n/m);
      const afterInstall = await postFrom(server, '/v1/provision/web1.example.lan/enroll', readFileSync(join(agentDir, 'agent.csr'), 'utf8'), '127.0.0.1');
      assert.equal(afterInstall.status, 409, 'an installed host gets no certificate this way');
    } finally {
      await server.close();
    }
    const text = log.join('');
    assert.match(text, /^muster serve: provision: enroll host=web1\.example\.lan remote=127\.0\.0\.1 outcome=signed serial=[0-9a-f]+$/m);
    assert.match(text, /^muster serve: provision: enroll host=web1\.example\.lan remote=127\.0\.0\.1 outcome=existing serial=/m);
    assert.match(text, /^muster serve: provision: enroll host=db1\.example\.lan remote=127\.0\.0\.2 outcome=pending$/m);
    assert.match(text, /^muster serve: provision: enroll host=edge1\.example\.lan remote=127\.0\.0\.9 outcome=refused: not its reserved address$/m);
    assert.match(text, /^muster serve: provision: enroll\.sh host=db1\.example\.lan remote=127\.0\.0\.1 outcome=served from=not its reserved address$/m);
    assert.doesNotMatch(text, new RegExp(token), 'the token never reaches the log');
    assert.doesNotMatch(text, new RegExp(new ProvisionKeys(token).of('web1.example.lan')), 'nor a host\'s key');
    assert.doesNotMatch(text, /MII[A-Za-z0-9+/]{8}/, 'nor a CSR or a certificate (their base64 DER starts MII)');
  });

  it('answers 404 naming what is missing: no agents in the inventory, or no fleet CA in serve\'s state folder', async () => {
    for (const [agents, missing] of [
      ['', /^web1\.example\.lan: no agent enrollment here: the inventory declares no agents \(agents: servers: \[tls:\/\/BROKER:4222\], docs\/agents\.md\)\n$/],
      ['agents:\n  servers: [tls://127.0.0.1:4222]\n  state: state\n', /^web1\.example\.lan: no agent enrollment here: no fleet CA in serve's state folder \(\/.*\/state\/ca\/ca\.crt is missing: /],
    ] as const) {
      const dir = agentFleet(agents);
      const server = await started(dir, []);
      try {
        for (const [method, file] of [['GET', 'enroll.sh'], ['POST', 'enroll']] as const) {
          const answer = await fetch(`${server.url}/v1/provision/web1.example.lan/${file}`, { method, headers: { authorization: `Bearer ${token}` } });
          assert.equal(answer.status, 404);
          assert.match(await answer.text(), missing);
        }
        // Without agents the preseed has no enroll step.
        const preseed = await (await fetch(`${server.url}/v1/provision/web1.example.lan/preseed.cfg?token=${token}`)).text();
        assert.equal(/enroll\.sh/.test(preseed), agents !== '');
      } finally {
        await server.close();
      }
    }
  });
});
