import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAccessLog } from './accessLog.js';
import type { MetadataServer } from './server.js';
import { get, serverFor, tempInventory } from './server.test-helper.js';

/** Sends raw bytes on a fresh connection and returns whatever comes back until the server closes or `ms` pass. */
function raw(port: number, bytes: string | Buffer, ms = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // One response is enough: a keep-alive server would otherwise hold the socket open.
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1'))) setImmediate(done);
    });
    socket.on('error', done);
    socket.on('close', done);
    socket.write(bytes);
  });
}

describe('muster serve refuses hostile requests and never crashes', () => {
  let server: MetadataServer;
  let dir: string;
  const logged: string[] = [];
  before(async () => {
    const inventory = tempInventory();
    dir = inventory.dir;
    server = await serverFor(inventory.file, { watch: false, token: 's3cret-token', accessLog: createAccessLog({ json: true, write: (text) => logged.push(text) }), limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 } });
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const auth = { authorization: 'Bearer s3cret-token' };

  it('a bearer token is required (401 with WWW-Authenticate), except for /v1/health; it is never logged', async () => {
    assert.equal((await get(server, '/v1/hosts')).status, 401);
    const wrong = await get(server, '/v1/hosts', { headers: { authorization: 'Bearer s3cret-tokeN' } });
    assert.equal(wrong.status, 401);
    assert.match(String(wrong.headers['www-authenticate']), /^Bearer/);
    assert.equal((await get(server, '/v1/hosts', { headers: { authorization: 's3cret-token' } })).status, 401);
    assert.equal((await get(server, '/v1/hosts', { headers: auth })).status, 200);
    assert.equal((await get(server, '/v1/health')).status, 200);
    await new Promise((resolve) => setImmediate(resolve));
    const log = logged.join('');
    assert.match(log, /"url":"\/v1\/hosts","status":401/);
    assert.doesNotMatch(log, /s3cret/);
  });

  it('encoded slashes, dot segments, NUL, bad UTF-8 and overlong names are 400/404, never a file', async () => {
    const cases: [string, number][] = [
      ['/v1/hosts/..%2F..%2Fetc%2Fpasswd', 404],
      ['/v1/hosts/%2e%2e/%2e%2e/etc/passwd', 400],
      ['/v1/hosts/../../etc/passwd', 400],
      ['/v1/roles/./web', 400],
      ['/..', 400],
      ['/v1/hosts/web001.example.lan%00', 400],
      ['/v1/hosts/%ff%fe', 400],
      ['/v1/hosts/%', 400],
      ['/v1/hosts/%0d%0aSet-Cookie:x', 400],
      [`/v1/hosts/${'a'.repeat(300)}`, 400],
      [`/v1/hosts/${'a'.repeat(5000)}`, 414],
      ['/v1//hosts', 404],
      ['/v1/hosts/a/b/c/d/e/f', 404],
      ['/etc/passwd', 404],
      ['/v1/select?q=%ff', 400],
      ['/v1/select?q=' + '('.repeat(200), 400],
    ];
    for (const [path, status] of cases) {
      const reply = await get(server, path, { headers: auth });
      assert.equal(reply.status, status, `${path}: ${reply.body}`);
      assert.doesNotMatch(reply.body, /root:/);
    }
  });

  it('a small fuzz of random paths and headers: every answer is an HTTP status below 500, and the server keeps serving', async () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const alphabet = ['/', '%', '%2f', '%2e', '..', '.', '%00', '%ff', '?', '&', '=', 'q=', 'index=', 'wait=', 'format=', 'web', 'v1', 'hosts', 'roles', '.sh', '.json', '$(', '`', '"', "'", '\\', '~', '*', '[', ']', '!', ',', '(', ')', 'é', '\u{1F600}'];
    for (let i = 0; i < 300; i++) {
      let path = '/';
      const length = 1 + Math.floor(random() * 12);
      for (let j = 0; j < length; j++) path += alphabet[Math.floor(random() * alphabet.length)];
      const accept = alphabet[Math.floor(random() * alphabet.length)] ?? '';
      const reply = await get(server, encodeURI(path).replace(/%25/g, '%'), { headers: { ...auth, accept: /^[\x20-\x7e]*$/.test(accept) ? accept : 'x/y' } });
      assert.ok(reply.status >= 200 && reply.status < 500, `${path} → ${reply.status} ${reply.body}`);
    }
    const rawCases = [
      'GET /v1/hosts HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(20_000) + '\r\n\r\n',
      'GET /v1/hosts HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n',
      'GET /v1/hosts HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
      'GET /v1/hosts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
      'GET http://evil.example/v1/hosts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret-token\r\n\r\n',
      'GET * HTTP/1.1\r\nHost: x\r\n\r\n',
      'BREW /coffee HTCPCP/1.0\r\n\r\n',
      '\u0000\u0001\u0002\r\n\r\n',
      'GET /v1/hosts\u0000 HTTP/1.1\r\n\r\n',
    ];
    for (const bytes of rawCases) {
      const answer = await raw(server.port, bytes);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
      assert.ok(status === 0 || (status >= 400 && status < 500), `${JSON.stringify(bytes.slice(0, 60))} → ${answer.slice(0, 80)}`);
    }
    assert.equal((await get(server, '/v1/roles/web/count', { headers: auth })).body.trim(), '4');
  });

  it('a client that sends headers too slowly is cut off (slowloris), and the server keeps serving', async () => {
    const began = performance.now();
    const answer = await raw(server.port, 'GET /v1/hosts HTTP/1.1\r\nHost: x\r\n', 5000);
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.ok(performance.now() - began < 2000, 'cut off by the 300 ms headers timeout, not the test');
    assert.equal((await get(server, '/v1/health')).status, 200);
  });
});

describe('muster serve time limits and long polls', () => {
  it('the request timeout does not cut a blocking query that waits longer than it', async () => {
    const { dir, file } = tempInventory();
    const server = await serverFor(file, { watch: false, limits: { headersTimeoutMs: 200, requestTimeoutMs: 300 } });
    try {
      const reply = await get(server, `/v1/roles/web/count?index=${server.index}&wait=900ms`);
      assert.equal(reply.status, 200);
      assert.equal(reply.body.trim(), '4');
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('muster serve over TLS with client certificates', () => {
  let pki: string;
  let server: MetadataServer;
  let dir: string;
  const file = (name: string): Buffer => readFileSync(join(pki, name));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
  };
  before(async () => {
    pki = mkdtempSync(join(tmpdir(), 'muster-pki-'));
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=muster test CA', '-keyout', 'ca.key', '-out', 'ca.crt');
    for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client', 'extendedKeyUsage=clientAuth'], ['rogue', 'extendedKeyUsage=clientAuth']] as const) {
      openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
      execFileSync('sh', ['-c', `printf '%s\\n' "$EXT" > ${name}.ext`], { cwd: pki, env: { ...process.env, EXT: ext } });
      if (name === 'rogue') openssl('req', '-x509', '-key', 'rogue.key', '-in', 'rogue.csr', '-days', '1', '-out', 'rogue.crt');
      else openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    }
    const inventory = tempInventory();
    dir = inventory.dir;
    server = await serverFor(inventory.file, { watch: false, tls: { cert: file('server.crt'), key: file('server.key'), clientCa: file('ca.crt') }, token: 'tok' });
  });
  after(async () => {
    await server.close();
    rmSync(pki, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsGet = (path: string, options: { cert?: string; token?: string }): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port: server.port, path, agent: false, ca: file('ca.crt'),
      ...(options.cert ? { cert: file(`${options.cert}.crt`), key: file(`${options.cert}.key`) } : {}),
      headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });

  it('serves HTTPS to a client with a certificate from the CA and the token', async () => {
    assert.equal(server.url.startsWith('https://127.0.0.1:'), true);
    const reply = await tlsGet('/v1/roles/web/count', { cert: 'client', token: 'tok' });
    assert.deepEqual(reply, { status: 200, body: '4\n' });
    assert.equal((await tlsGet('/v1/roles/web/count', { cert: 'client' })).status, 401);
  });

  it('refuses a client without a certificate, or with one the CA did not sign', async () => {
    await assert.rejects(tlsGet('/v1/health', {}), /certificate|socket hang up|ECONNRESET|alert/i);
    await assert.rejects(tlsGet('/v1/health', { cert: 'rogue', token: 'tok' }), /certificate|socket hang up|ECONNRESET|alert|unknown ca/i);
    assert.equal((await tlsGet('/v1/health', { cert: 'client' })).status, 200);
  });
});
