import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get, tempInventory } from '../../serve/server.test-helper.js';
import { assertUsageFailure, muster, musterBin } from './cli.test-helper.js';

/** Runs `muster serve ARGS` until its listening line, returning the child, its port and its stderr so far. */
async function serve(args: string[]): Promise<{ child: ReturnType<typeof spawn>; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, [musterBin, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
      const match = /listening url=http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`muster serve exited ${code}: ${stderr}`)));
  });
  return { child, port, stderr: () => stderr };
}

describe('muster serve (the command)', () => {
  it('serves, logs each request, and on SIGTERM answers its watchers and exits 0', async () => {
    const { dir, file } = tempInventory();
    try {
      const { child, port, stderr } = await serve(['-i', file, '--listen', '127.0.0.1:0']);
      assert.equal((await get({ port }, '/web/count')).body.trim(), '4');
      const watcher = get({ port }, '/v1/roles/web/count?index=1&wait=5m');
      for (let i = 0; i < 200 && JSON.parse((await get({ port }, '/v1/status')).body).watchers < 1; i++) await new Promise((r) => setImmediate(r));
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      assert.equal((await watcher).status, 200);
      assert.equal(code, 0);
      assert.match(stderr(), /GET "\/web\/count" 200 2 /);
      assert.match(stderr(), /muster serve: stopped index=1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an empty token file, a TLS key without a certificate and a certificate that is not PEM, exit 2 with one line', async () => {
    const { dir, file } = tempInventory();
    try {
      writeFileSync(join(dir, 'token'), '\n');
      for (const [args, message] of [
        [['--token-file', join(dir, 'token')], /--token-file .* must hold one token/],
        [['--tls-key', join(dir, 'token')], /--tls-cert and --tls-key go together/],
        [['--client-ca', join(dir, 'token')], /--client-ca needs --tls-cert/],
        [['--tls-cert', join(dir, 'token'), '--tls-key', join(dir, 'token')], /Cannot serve TLS with this certificate, key: .*no start line/],
      ] as const) {
        assertUsageFailure(await muster(['serve', '-i', file, '--listen', '127.0.0.1:0', ...args]), message);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says a bad or taken --listen with the flag: a bad one is a usage error, a taken port is not', async () => {
    const { dir, file } = tempInventory();
    const taken = createServer().listen(0, '127.0.0.1');
    try {
      await once(taken, 'listening');
      const port = (taken.address() as { port: number }).port;
      const bad = await muster(['serve', '-i', file, '-q', '--listen', ':7070']);
      assertUsageFailure(bad, /Invalid --listen ":7070"/);
      assert.equal(bad.stderr, 'muster: Invalid --listen ":7070": no host (write 0.0.0.0:PORT to listen on every interface) (use PORT, HOST:PORT or [IPV6]:PORT)\n(add --help for usage)\n');
      const busy = await muster(['serve', '-i', file, '-q', '--listen', `127.0.0.1:${port}`]);
      assert.equal(busy.code, 2);
      assert.equal(busy.stderr, `muster: Cannot listen on 127.0.0.1:${port}: EADDRINUSE (the port is taken; use --listen to pick another)\n`);
    } finally {
      taken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
