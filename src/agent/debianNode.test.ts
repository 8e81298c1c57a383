/**
 * The agent .deb on the Node.js its `Depends: nodejs (>= 18)` names: Debian 12's own nodejs 18,
 * on a real lab host. This machine runs muster on Node 20; inside the host (its root is an
 * overlay of this machine's, so nothing here changes) the Debian nodejs 18 .debs that
 * scripts/setup.sh keeps in /var/cache/muster/debs/node18 replace this machine's nodejs,
 * the package `muster agent package` built is installed beside it, and then the real path an
 * operator takes: `muster agent install --deb` (enroll on the host, sign here, start), a real
 * broker, and `muster call` / `muster run --transport nats` answered by that agent.
 * Needs root, openssh-server, nats-server and those .debs; skipped with the reason otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import { brokerUp } from '../broker/process.js';
import { initCa } from '../ca/init.js';
import { stateDirFor } from '../ca/paths.js';
import { signOperator } from '../ca/sign.js';
import { muster, type Ran } from '../cli/commands/cli.test-helper.js';
import { serverHosts } from '../cli/commands/ca.js';
import { loadInventory } from '../inventory/load.js';
import { labDown, labExec, labUnavailableReason, labUp, type Lab } from '../lab/index.js';
import { buildAgentPackage } from './package.js';
import { tempDir } from './tempDir.test-helper.js';
import { agentVersion } from './version.js';

/** Where scripts/setup.sh puts Debian's nodejs 18 debs: on the root filesystem, which lab hosts see. */
const debCache = '/var/cache/muster/debs/node18';

function debsMissing(): string | undefined {
  const names = (() => {
    try {
      return readdirSync(debCache);
    } catch {
      return [];
    }
  })();
  // libnode108 holds node itself; node-* are the "externalized builtins" it loads by absolute path.
  const wanted = ['nodejs_18', 'libnode108_', 'node-acorn_', 'node-cjs-module-lexer_', 'node-undici_'];
  const absent = wanted.filter((prefix) => !names.some((name) => name.startsWith(prefix) && name.endsWith('.deb')));
  return absent.length === 0 ? undefined : `Debian's nodejs 18 debs are not in ${debCache} (missing ${absent.join(', ')}): run scripts/setup.sh as root with the Debian mirror reachable`;
}

const natsMissing = spawnSync('sh', ['-c', 'command -v nats-server'], { stdio: 'ignore' }).status === 0 ? undefined : 'nats-server is not installed';
const unavailable = (await labUnavailableReason()) ?? natsMissing ?? debsMissing();

describe('the agent .deb on Debian 12\'s nodejs 18, on a real lab host', { skip: unavailable ?? false }, () => {
  const name = `test-node18-${process.pid}`;
  const host = 'lab01';
  let lab: Lab;
  let debDir: string | undefined;
  let deb: string;
  let env: NodeJS.ProcessEnv;

  async function on(command: string): Promise<string> {
    const ran = await labExec(lab, host, command);
    assert.equal(ran.code, 0, `${command}: ${ran.stderr}`);
    return ran.stdout;
  }

  function cli(args: string[]): Promise<Ran> {
    return muster(args, { env });
  }

  /** The end of the agent's log (the setsid start's, see agentInstallJob.ts), for a failure's message. */
  async function agentLog(): Promise<string> {
    return (await labExec(lab, host, 'tail -n 20 /var/log/muster-agent.log')).stdout;
  }

  /** `muster call HOST ACTION ARGS… --json`: the host's value, once its record says ok. */
  async function callValue<T>(args: string[]): Promise<T> {
    const ran = await cli(['call', host, ...args, '--json']);
    const [record] = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host?: string; status?: string; value?: T });
    if (ran.code !== 0 || record?.status !== 'ok') assert.fail(`${args[0]}: ${ran.stdout}${ran.stderr}agent log: ${await agentLog()}`);
    return record?.value as T;
  }

  before(async () => {
    lab = await labUp({ name, count: 1, agents: { brokers: 1 } });
    const inventory = await loadInventory({ path: lab.inventoryPath });
    const stateDir = stateDirFor(inventory, {});
    await initCa(stateDir, { sans: serverHosts(inventory.agents?.servers ?? []) });
    await signOperator(stateDir, 'admin');
    await brokerUp(inventory, stateDir);
    // Under /var/tmp, not /tmp: a lab host has its own /tmp, but sees this machine's /var/tmp.
    debDir = await mkdtemp('/var/tmp/muster-node18-deb-');
    deb = await buildAgentPackage({ outDir: debDir });
    const { MUSTER_STATE: _state, MUSTER_OPERATOR: _operator, ...rest } = process.env;
    env = { ...rest, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: join(tempDir('muster-node18-history-'), 'history'), NO_COLOR: '1' };
  });

  after(async () => {
    // Ends the host with everything in it (the agent) and the lab's broker.
    if (lab) await labDown(name);
    if (debDir) await rm(debDir, { recursive: true, force: true });
  });

  test('Debian\'s nodejs 18 and the agent .deb install with dpkg; node is v18, muster-agent --version answers', async () => {
    // The machine's nodejs (nodesource's 20 here) goes first: it Provides nodejs-legacy, which
    // Debian's libnode108 Conflicts with, so one dpkg -i of everything would refuse libnode108.
    // (Its removal warns about every npm folder left non-empty: silenced; a removal that failed
    // shows as that conflict below.) man-db's trigger is switched off the Debian way: in a lab
    // host its mandb, run as user man, fails to load its own library ("Permission denied").
    await on(`rm -f /var/lib/man-db/auto-update; if dpkg -s nodejs >/dev/null 2>&1; then dpkg -r --force-depends nodejs >/dev/null 2>&1; fi
      dpkg -i ${debCache}/*.deb >/dev/null`);
    assert.match(await on('/usr/bin/node --version'), /^v18\.\d+\.\d+\n$/);
    assert.match(await on("dpkg-query -W -f '${Version}' nodejs"), /^18\..*deb12/);
    await on(`dpkg -i ${deb} >/dev/null`);
    assert.equal(await on('/usr/bin/muster-agent --version'), `${agentVersion()}\n`);
  });

  test('muster agent install --deb enrolls, signs and starts it on nodejs 18; muster call and muster run --transport nats are answered by it', async () => {
    const installed = await cli(['agent', 'install', host, '--deb', deb, '--no-systemd', '--json']);
    assert.equal(installed.code, 0, `${installed.stdout}${installed.stderr}agent log: ${await agentLog()}`);
    const [outcome] = installed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host?: string; status?: string; message?: string });
    assert.equal(outcome?.status, 'changed', JSON.stringify(outcome));
    assert.match(outcome?.message ?? '', /^agent signed .*started \(pid \d+\)$/);

    // The process answering is Debian's node (it maps libnode.so.108; nodesource's node is one
    // static binary) running the packaged bundle, not this machine's Node 20 and source tree.
    const pid = (await on('cat /run/muster-agent.pid')).trim();
    assert.equal(await on(`readlink /proc/${pid}/exe`), '/usr/bin/node\n');
    assert.match(await on(`tr '\\0' ' ' < /proc/${pid}/cmdline`), /^\/usr\/bin\/node \/usr\/lib\/muster-agent\/muster-agent\.mjs run --dir \/etc\/muster-agent $/);
    assert.match(await on(`grep -c 'libnode\\.so\\.108' /proc/${pid}/maps`), /^[1-9]\d*\n$/);

    const ping = await callValue<{ host?: string; version?: string }>(['ping.get']);
    assert.deepEqual([ping.host, ping.version], [host, agentVersion()]);

    // A Node 20 API would fail only in the module calling it: facts (statfs) and file (open,
    // fsync, rename) once each too.
    const facts = await callValue<{ hostname?: string; disks?: unknown[] }>(['facts.get']);
    assert.equal(facts.hostname, host);
    assert.ok((facts.disks?.length ?? 0) > 0, JSON.stringify(facts));
    const data = Buffer.from('written on node 18\n').toString('base64');
    assert.equal((await callValue<{ changed?: boolean }>(['file.write', 'path=/etc/muster-node18', `data=${data}`, 'mode=0640'])).changed, true);
    assert.equal((await callValue<{ data?: string }>(['file.read', 'path=/etc/muster-node18'])).data, data);

    const ran = await cli(['run', host, '--transport', 'nats', '--json', '--', 'uname -r']);
    assert.equal(ran.code, 0, ran.stderr);
    const [record] = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { host?: string; status?: string; stdout?: string });
    // The hosts share this machine's kernel.
    assert.deepEqual([record?.host, record?.status, record?.stdout], [host, 'ok', `${release()}\n`]);
  });
});
