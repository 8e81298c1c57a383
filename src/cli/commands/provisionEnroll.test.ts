/**
 * The installer's agent enrollment, end to end: a lab of 3 real sshd hosts with real agents
 * and a real broker (`muster lab up --agents`), of which lab03 is made a host being
 * installed (its agent stopped and revoked, its folder wiped, kept in the inventory with a
 * `provision:`, netboot on, an interface reserving 127.0.0.1: in the lab every host's
 * traffic to 127.0.0.1 comes from 127.0.0.1). Inside lab03 the preseed's late_command,
 * fetched from a real `muster serve`, runs as d-i runs it (in-target stubbed: lab03 is the
 * target): enroll.sh makes the key, the CSR is autosigned and the brokers refreshed, the
 * callback marks lab03 installed, and with muster-agent "installed" (stubbed, as systemctl is:
 * lab hosts have no systemd) the unit is enabled; its agent started, `muster run --transport nats` answers.
 * Then a reinstall that autosign does not cover: the CSR waits, `muster ca sign` and
 * `muster agent install` (over SSH, with the key enroll.sh made) finish it.
 * Needs root, openssh-server and nats-server; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shellQuote } from '../../core/shell.js';
import { labDown, labExec, labStartDaemon, labStopDaemon, labUnavailableReason, type Lab } from '../../lab/index.js';
import { templatesDir } from '../../provision/fixture.test-helper.js';
import { musterBin, muster as runMuster, until, type Ran } from './cli.test-helper.js';

const natsMissing = spawnSync('sh', ['-c', 'command -v nats-server'], { stdio: 'ignore' }).status === 0 ? undefined : 'nats-server is not installed';
const unavailable = (await labUnavailableReason()) ?? natsMissing;
const token = 'lab-provision-token';

describe('agents enrolled by the installer: a lab host\'s late_command against muster serve (real agents and broker)', { skip: unavailable ?? false }, () => {
  const name = `test-penroll-${process.pid}`;
  let lab: Lab;
  let env: NodeJS.ProcessEnv;
  let work: string;
  let serve: ChildProcess | undefined;
  let serveLog = '';
  let url = '';
  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env, cwd: work });
  const auth = { authorization: `Bearer ${token}` };

  /** The preseed's late_command for lab03, run inside lab03 as d-i runs it: `sh -c`, in-target running the command there. */
  async function installerLastStep(): Promise<{ stdout: string; stderr: string }> {
    const preseed = await fetch(`${url}/v1/provision/lab03/preseed.cfg`, { headers: auth });
    assert.equal(preseed.status, 200);
    const late = /^d-i preseed\/late_command string (.*)$/m.exec(await preseed.text())?.[1] ?? assert.fail('no late_command');
    // muster-agent "installed" and a systemctl that records its arguments: the script enables the unit where there is one.
    const stub = [
      'mkdir -p /tmp/stub',
      'printf \'#!/bin/sh\\nexec "$@"\\n\' > /tmp/stub/in-target',
      'printf \'#!/bin/sh\\nexit 0\\n\' > /tmp/stub/muster-agent',
      'printf \'#!/bin/sh\\necho "$*" >> /tmp/stub/systemctl.args\\n\' > /tmp/stub/systemctl',
      'chmod 755 /tmp/stub/*',
    ].join(' && ');
    const ran = await labExec(lab, 'lab03', `${stub} && PATH=/tmp/stub:$PATH sh -c ${shellQuote(late)}`);
    assert.equal(ran.code, 0, ran.stderr);
    return ran;
  }

  /** lab03 as a host about to be (re)installed: no agent, its certificate revoked, its folder gone. */
  async function wipeLab03(): Promise<void> {
    await labStopDaemon(lab.name, 'lab03', 'agent');
    const revoked = await muster(['ca', 'revoke', 'lab03']);
    assert.equal(revoked.code, 0, revoked.stderr);
    await labExec(lab, 'lab03', 'if [ -f /run/muster-agent.pid ]; then kill "$(cat /run/muster-agent.pid)"; fi; rm -rf /etc/muster-agent');
  }

  async function answersOverNats(): Promise<Ran> {
    return until('lab03\'s agent to answer over nats', async () => {
      const ran = await muster(['run', 'lab03', '--transport', 'nats', '--', 'hostname']);
      return ran.code === 0 ? ran : undefined;
    });
  }

  before(async () => {
    mkdirSync('/work/scratch-enroll', { recursive: true });
    work = mkdtempSync('/work/scratch-enroll/provision-enroll-');
    const { MUSTER_STATE: _state, MUSTER_OPERATOR: _operator, ...rest } = process.env;
    env = { ...rest, MUSTER_INVENTORY: '', MUSTER_STATE_DIR: join(work, 'history'), NO_COLOR: '1' };
    const up = await muster(['lab', 'up', '3', '--agents', '--name', name, '--json']);
    assert.equal(up.code, 0, up.stderr);
    lab = JSON.parse(up.stdout.trim().split('\n').at(-1) ?? '{}') as Lab;
    env['MUSTER_INVENTORY'] = lab.inventoryPath;
    await wipeLab03();
    // lab03 (its own entry in a lab of 3) is to be installed: netboot on, 127.0.0.1 reserved (its answer file calls back with its key).
    const text = await readFile(lab.inventoryPath, 'utf8');
    const provisioned = text.replace(/^( {2}lab03:\n(?: {4}.*\n)*)/m, (entry) => `${entry}    provision:\n      profile: debian12\n      netboot: true\n      interfaces: { eth0: { mac: "52:54:00:00:00:03", ip: 127.0.0.1, netmask: 255.0.0.0 } }\n`)
      .concat(`profiles:\n  debian12:\n    kernel: debian-installer/amd64/linux\n    initrd: debian-installer/amd64/initrd.gz\n    installer: { kind: preseed, template: ${join(templatesDir, 'debian-preseed.cfg.liquid')} }\n`);
    assert.notEqual(provisioned, text);
    await writeFile(lab.inventoryPath, provisioned);
    await writeFile(join(work, 'token'), `${token}\n`, { mode: 0o600 });

    serve = spawn(process.execPath, [musterBin, 'serve', '--listen', '127.0.0.1:0', '--token-file', join(work, 'token')], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    serve.stderr?.on('data', (chunk: Buffer) => { serveLog += chunk.toString(); });
    url = await until('muster serve to listen', async () => {
      if (serve?.exitCode !== null) assert.fail(`muster serve exited ${serve?.exitCode}: ${serveLog}`);
      return /listening url=(\S+)/.exec(serveLog)?.[1];
    }, 10_000);
  });

  after(async () => {
    serve?.kill('SIGTERM');
    if (lab) await runMuster(['lab', 'down', '--name', name], { env });
    await labDown(name).catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('autosigned, lab03 answers muster run over nats; a reinstall autosign does not cover waits, and ca sign + agent install finish it', async () => {
    const first = await installerLastStep();
    assert.match(first.stdout, /^muster enroll: lab03: signed \(serial=[0-9A-F]+\); wrote \/etc\/muster-agent\/agent\.crt\nmuster enroll: lab03: muster-agent\.service enabled\nlab03: netboot false\n$/);
    assert.equal((await labExec(lab, 'lab03', 'cat /tmp/stub/systemctl.args')).stdout, 'enable muster-agent.service\n');
    const mode = await labExec(lab, 'lab03', 'stat -c %a /etc/muster-agent/agent.key && cat /etc/muster-agent/agent.json');
    assert.match(mode.stdout, /^600\n\{\n {2}"name": "lab03",\n {2}"servers": \[\n {4}"tls:\/\/127\./);
    assert.match(await readFile(lab.inventoryPath, 'utf8'), / {6}netboot: false\n/);
    await labStartDaemon(lab.name, 'lab03', 'agent', [process.execPath, musterBin, 'agent', 'run', '--dir', '/etc/muster-agent']);
    assert.match((await answersOverNats()).stdout, /lab03/);
    assert.match(serveLog, /^muster serve: provision: enroll host=lab03 remote=127\.0\.0\.1 outcome=signed serial=[0-9a-f]+ brokers=brokers reloaded: \d+$/m);

    // A reinstall: autosign now leaves lab03 out, and its netboot is turned back on.
    await wipeLab03();
    await writeFile(lab.inventoryPath, (await readFile(lab.inventoryPath, 'utf8')).replace('  autosign: all\n', '  autosign: "lab[01-02]"\n'));
    const enabled = await muster(['provision', 'enable', 'lab03']);
    assert.equal(enabled.code, 0, enabled.stderr);
    await until('serve to see lab03 netboot on', async () => ((await fetch(`${url}/v1/provision/lab03/enroll.sh`, { headers: auth })).status === 200 ? true : undefined));
    const second = await installerLastStep();
    assert.match(second.stdout, /^muster enroll: lab03: CSR pending \(agents.autosign does not select lab03\); on the operator machine: muster ca sign lab03, then muster agent install lab03\nlab03: netboot false\n$/);
    assert.match((await muster(['ca', 'list'])).stdout, /^ {2}lab03 {2}key sha256:[0-9a-f]+… {2}from provision 127\.0\.0\.1 {2}at /m);
    const signed = await muster(['ca', 'sign', 'lab03']);
    assert.equal(signed.code, 0, signed.stderr);
    const installed = await muster(['agent', 'install', 'lab03', '--no-systemd']);
    assert.equal(installed.code, 0, installed.stderr + installed.stdout);
    assert.match(installed.stdout, /certificate kept/, 'the key enroll.sh made is the one signed');
    assert.match((await answersOverNats()).stdout, /lab03/);
    assert.doesNotMatch(serveLog, new RegExp(token));
  });
});
