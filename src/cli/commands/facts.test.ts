/**
 * `muster facts --via ssh`, `fact.KEY=VALUE` selectors and `muster reconcile --via ssh`, with
 * the real CLI on a real 4-host lab (sshd in each host's own namespaces). The facts script's
 * result is compared with the agent's own `facts.get` run inside the same host: the two ways
 * must give the same fields and values. Needs root and openssh-server, skipped otherwise.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labExec, labStopHost, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { assertNoStack, assertUsageFailure, muster as runMuster, type Ran } from './cli.test-helper.js';

const unavailable = await labUnavailableReason();
// Under /work, not /tmp: lab hosts have a /tmp of their own, and the agent's module is read inside one.
const agentFacts = fileURLToPath(new URL('../../agent/modules/facts.js', import.meta.url));

describe('muster facts --via ssh, fact. selectors and reconcile, on a real 4-host lab', { skip: unavailable ?? false }, () => {
  const name = `test-facts-${process.pid}`;
  let lab: Lab;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const muster = (args: string[]): Promise<Ran> => runMuster(args, { env });

  before(async () => {
    lab = await labUp({ name, count: 4 });
    work = await mkdtemp(join(fileURLToPath(new URL('../../../', import.meta.url)), '.test-facts-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE: join(work, 'state'), NO_COLOR: '1' };
  });
  after(async () => {
    await labDown(name);
    await rm(work, { recursive: true, force: true });
  });

  test('gathers over SSH, folds identical values across hosts, and keeps the facts in STATE/facts/', async () => {
    // lab02 names its OS with a terminal escape: shown visible, never sent to the terminal.
    const planted = await labExec(name, 'lab02', "{ grep -v '^PRETTY_NAME=' /usr/lib/os-release; printf 'PRETTY_NAME=\"Debian \\033[31mred\"\\n'; } > /root/os && rm -f /etc/os-release && mv /root/os /etc/os-release");
    assert.equal(planted.code, 0, planted.stderr);
    const ran = await muster(['facts', '--via', 'ssh']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /^ +Debian \\x1b\[31mred +lab02 \(1\)$/m);
    assert.ok(!ran.stdout.includes(String.fromCharCode(27)), 'no raw ESC reaches the terminal');
    assert.match(ran.stdout, /^os\.id +debian +lab\[01-04\] \(4\)$/m);
    assert.match(ran.stdout, /^kernel\.release +\S+ +lab\[01-04\] \(4\)$/m);
    assert.match(ran.stdout, /^cpus\.count +\d+ +lab\[01-04\] \(4\)$/m);
    assert.match(ran.stdout, /^hostname +lab01 +lab01 \(1\)$/m);
    assert.match(ran.stdout, /^ +lab04 +lab04 \(1\)$/m);
    assert.match(ran.stderr, /4 hosts: 4 ok/);
    assert.deepEqual((await readdir(join(work, 'state', 'facts'))).sort(), ['lab01.json', 'lab02.json', 'lab03.json', 'lab04.json']);
    const stored = JSON.parse(await readFile(join(work, 'state', 'facts', 'lab02.json'), 'utf8')) as { host: string; via: string; facts: { hostname: string } };
    assert.equal(stored.host, 'lab02');
    assert.equal(stored.via, 'ssh');
    assert.equal(stored.facts.hostname, 'lab02');
  });

  test('the SSH script and the agent\'s facts.get give the same fields and values on the same host', async () => {
    const ran = await muster(['facts', 'lab03', '--via', 'ssh', '-o', 'json']);
    assert.equal(ran.code, 0, ran.stderr);
    const viaSsh = (JSON.parse(ran.stdout) as Record<string, { facts: Record<string, unknown> }>)['lab03']?.facts ?? {};
    const agent = await labExec(name, 'lab03', `${process.execPath} --input-type=module -e "import { gatherFacts } from '${agentFacts}'; console.log(JSON.stringify(await gatherFacts()))"`);
    assert.equal(agent.code, 0, agent.stderr);
    const viaAgent = JSON.parse(agent.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(viaSsh), Object.keys(viaAgent));
    // Memory, uptime and the disks' free space move between the two readings; everything else is equal.
    for (const facts of [viaSsh, viaAgent]) {
      for (const key of ['memory', 'uptime']) delete facts[key];
      for (const disk of facts['disks'] as Record<string, unknown>[]) for (const key of ['used', 'free']) delete disk[key];
    }
    assert.deepEqual(viaSsh, viaAgent);
    assert.equal(viaSsh['hostname'], 'lab03');
  });

  test('fact.KEY=VALUE selects from the stored facts in any command; hosts without facts are said', async () => {
    const debian = await muster(['ls', 'fact.os.id=debian', '-o', 'names']);
    assert.equal(debian.code, 0, debian.stderr);
    assert.equal(debian.stdout, 'lab01\nlab02\nlab03\nlab04\n');
    assert.equal(debian.stderr, '');
    const one = await muster(['run', 'fact.hostname=lab02', '--', 'hostname']);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^lab02 \(1\) ok\n-+\nlab02$/m);
    assert.equal((await muster(['ls', 'fact.os.id=plan9', '-o', 'names'])).stdout, '');
    await rm(join(work, 'state', 'facts', 'lab04.json'));
    const without = await muster(['ls', '!fact.os.id=debian', '-o', 'names']);
    assert.equal(without.stdout, 'lab04\n');
    assert.match(without.stderr, /^muster: 1 host has no stored facts \(lab04\), so no fact\.KEY=VALUE matches it \(1 selected all the same\)/m);
    assertUsageFailure(await muster(['ls', 'fact.=debian']), /needs a key after "fact\."/);
  });

  test('reconcile --via ssh: a planted wrong address, a missing one and a stopped host that answers; exit 1, then 0', async () => {
    const clean = await muster(['reconcile', '--via', 'ssh']);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /^lab\[01-04\] \(4\) +agree with the inventory$/m);
    const net = lab.hosts[0]?.address.split('.').slice(0, 3).join('.') ?? '';
    const planted = join(work, 'planted.yaml');
    await writeFile(planted, [
      'version: 1',
      'defaults: { user: root }',
      `ssh_config: ${lab.sshConfigPath}`,
      'states: [ok, stop]',
      'skip_states: [stop]',
      'hosts:',
      `  lab01: { address: ${net}.1 }`,
      `  lab02: { address: ${net}.3 }`,
      `  lab03: { address: ${net}.99 }`,
      `  lab04: { address: ${net}.4, state: stop }`,
      '',
    ].join('\n'));
    const ran = await muster(['reconcile', '-i', planted, '--via', 'ssh']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^lab01 \(1\) +agree with the inventory$/m);
    assert.match(ran.stdout, new RegExp(`^lab02 \\(1\\) +hostname: its address ${net.replaceAll('.', '\\.')}\\.3 reaches a host named lab03, not lab02$`, 'm'));
    assert.match(ran.stdout, /^lab03 \(1\) +unseen: state ok, but unreachable now: .*refused/m);
    assert.match(ran.stdout, /^lab04 \(1\) +answers: state stop, but it answers$/m);
    assert.match(ran.stderr, /^4 hosts: 1 agree, 3 contradict the inventory \(hostname 1, unseen 1, answers 1\)$/m);
    assertNoStack(ran.stderr);
    const json = await muster(['reconcile', '-i', planted, '--via', 'ssh', '--json']);
    const records = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; host?: string; findings?: { kind: string }[]; exitCode?: number });
    assert.deepEqual(records.filter((record) => record.type === 'host').map((record) => [record.host, record.findings?.map((finding) => finding.kind)]),
      [['lab01', []], ['lab02', ['hostname']], ['lab03', ['unseen']], ['lab04', ['answers']]]);
    assert.equal(records.at(-1)?.exitCode, 1);
    assertUsageFailure(await muster(['reconcile', '--max-unseen', 'soon']), /max-unseen|duration/i);
  });

  test('a stopped host is unreachable as run says it, exit 1; the others still gather', async () => {
    await labStopHost(name, 'lab04');
    const ran = await muster(['facts', '--via', 'ssh']);
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stdout, /^os\.id +debian +lab\[01-03\] \(3\)$/m);
    assert.match(ran.stdout, /^lab04 \(1\) unreachable: .*refused/m);
    assert.match(ran.stderr, /4 hosts: 3 ok, 1 unreachable/);
  });
});
