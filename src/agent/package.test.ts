import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { musterSync } from '../cli/commands/cli.test-helper.js';
import { agentDir, brokerFor, call, operator } from './agentFixture.test-helper.js';
import { agentVersion } from './version.js';
import { tempDir } from './tempDir.test-helper.js';


test('agent package builds a .deb with the bundle, the launcher and the unit, depending on nodejs (>= 18); the bundled agent answers ping', async () => {
  const out = tempDir('muster-deb-');
  const ran = musterSync(['agent', 'package', '--out', out]);
  assert.equal(ran.code, 0, ran.stderr);
  const deb = join(out, `muster-agent_${agentVersion()}_all.deb`);
  assert.equal(ran.stdout, `${deb}\n`);
  const info = execFileSync('dpkg-deb', ['-I', deb], { encoding: 'utf8' });
  assert.match(info, /Package: muster-agent\n/);
  assert.match(info, /Architecture: all\n/);
  assert.match(info, /Depends: nodejs \(>= 18\)\n/);
  const files = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
  assert.match(files, /^-rwxr-xr-x root\/root .* \.\/usr\/bin\/muster-agent$/m);
  assert.match(files, /^-rw-r--r-- root\/root .* \.\/usr\/lib\/muster-agent\/muster-agent\.mjs$/m);
  assert.match(files, /^-rw-r--r-- root\/root .* \.\/lib\/systemd\/system\/muster-agent\.service$/m);
  assert.match(files, /^drwxr-xr-x root\/root .* \.\/$/m);

  const root = tempDir('muster-deb-root-');
  execFileSync('dpkg-deb', ['-x', deb, root]);
  // An upgrade restarts a running agent (configure with the old version as $2), a first install does not start one.
  const control = tempDir('muster-deb-control-');
  execFileSync('dpkg-deb', ['-e', deb, control]);
  const postinst = readFileSync(join(control, 'postinst'), 'utf8');
  assert.match(postinst, /^if \[ "\$1" = configure \] && \[ -n "\$2" \] && \[ -d \/run\/systemd\/system \]; then systemctl try-restart muster-agent\.service \|\| true; fi$/m);
  execFileSync('sh', ['-n', join(control, 'postinst')]);
  const unit = readFileSync(join(root, 'lib/systemd/system/muster-agent.service'), 'utf8');
  assert.match(unit, /^ExecStart=\/usr\/bin\/muster-agent run --dir \/etc\/muster-agent$/m);
  assert.match(unit, /^KillMode=mixed$/m);
  assert.match(unit, /^Restart=always$/m);
  const bundle = readFileSync(join(root, 'usr/lib/muster-agent/muster-agent.mjs'), 'utf8');
  assert.doesNotMatch(bundle, /from ["'](ssh2|better-sqlite3|liquidjs)["']|require\(["'](ssh2|better-sqlite3)["']\)/);
  assert.equal(execFileSync(process.execPath, [join(root, 'usr/lib/muster-agent/muster-agent.mjs'), '--version'], { encoding: 'utf8' }), `${agentVersion()}\n`);

  // The bundle alone (no source tree, no node_modules) is a working agent.
  const broker = await brokerFor(['pkg01']);
  const child = spawn(process.execPath, [join(root, 'usr/lib/muster-agent/muster-agent.mjs'), 'run', '--dir', agentDir(broker, 'pkg01')], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((ready) => child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
    if (log.includes('connected to')) ready();
  }));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const nc = await operator(broker);
  try {
    const reply = await call(nc, 'pkg01', 'ping', 'get');
    assert.ok(reply.ok, JSON.stringify(reply));
    assert.equal((reply.value as { version: string }).version, agentVersion());
  } finally {
    await nc.close();
    child.kill('SIGTERM');
    assert.equal(await exited, 0, log);
    await broker.stop();
  }
});
