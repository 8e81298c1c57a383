// render, gen and runbook run as a real process: files written, exit codes, stdout, stderr.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertNoStack, assertUsageFailure, musterSync, type Ran } from './cli.test-helper.js';

const fleet = fileURLToPath(new URL('../../../src/render/testdata/fleet.yaml', import.meta.url));
let root: string;

function muster(args: string[], input?: string): Ran {
  return musterSync(args, { cwd: root, ...(input !== undefined ? { input } : {}), env: { ...process.env, MUSTER_INVENTORY: '', NO_COLOR: '1' } });
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'muster-cli-render-'));
  copyFileSync(fleet, join(root, 'muster.yaml'));
  writeFileSync(join(root, 'lb.conf.liquid'), '# {{ selected | size }} selected\n{% for h in roles.web.hosts %}server {{ h.address }}:{{ h.http_port }}  # {{ h }}\n{% endfor %}');
  writeFileSync(join(root, 'motd.liquid'), 'Welcome to {{ name }} ({{ host.roles | join: "," }}), dc {{ host.vars.dc | default: "none" }}\n');
  writeFileSync(join(root, 'bad.liquid'), 'ok\n  {{ hosts["web001.example.lan"].http_prot }}\n');
});

after(() => rmSync(root, { recursive: true, force: true }));

test('render: to stdout, with -s filling `selected`', () => {
  const result = muster(['render', 'lb.conf.liquid', '-s', 'web&dc=tk1']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, '# 2 selected\nserver 127.0.0.11:80  # web001.example.lan\nserver 127.0.0.12:8080  # web002.example.lan\nserver 127.0.0.13:80  # web003.example.lan\n');
});

test('render -o: created, then unchanged (same inode and mtime), then changed when the inventory changes', () => {
  const out = join(root, 'out', 'lb.conf');
  const first = muster(['render', 'lb.conf.liquid', '-o', out]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /^created +.*out\/lb\.conf$/m);
  const before = statSync(out);
  const again = muster(['render', 'lb.conf.liquid', '-o', out]);
  assert.match(again.stderr, /^unchanged +.*out\/lb\.conf$/m);
  assert.match(again.stderr, /1 file, 0 written, 1 unchanged/);
  const after = statSync(out);
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeMs, before.mtimeMs);

  writeFileSync(join(root, 'muster.yaml'), readFileSync(fleet, 'utf8').replace('http_port: 8080', 'http_port: 8081'));
  try {
    const check = muster(['render', 'lb.conf.liquid', '-o', out, '--check']);
    assert.equal(check.code, 1, 'drift detected');
    assert.match(check.stdout, /^--- .*out\/lb\.conf\n\+\+\+ .*out\/lb\.conf \(generated\)\n@@ -1,4 \+1,4 @@\n # 3 selected\n server 127\.0\.0\.11:80 .*\n-server 127\.0\.0\.12:8080 .*\n\+server 127\.0\.0\.12:8081 .*\n/);
    assert.match(check.stderr, /differs +.*lb\.conf\nmuster: 1 of 1 file out of date/);
    assert.equal(statSync(out).mtimeMs, before.mtimeMs, '--check writes nothing');
    const changed = muster(['render', 'lb.conf.liquid', '-o', out]);
    assert.match(changed.stderr, /^changed +.*out\/lb\.conf$/m);
    assert.notEqual(statSync(out).ino, before.ino, 'replaced by rename');
    assert.equal(muster(['render', 'lb.conf.liquid', '-o', out, '--check']).code, 0);
  } finally {
    copyFileSync(fleet, join(root, 'muster.yaml'));
  }
  const missing = muster(['render', 'lb.conf.liquid', '-o', join(root, 'nowhere.conf'), '--check']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /missing +.*nowhere\.conf/);
  assert.equal(existsSync(join(root, 'nowhere.conf')), false);
});

test('render: several templates with -o write into a folder, named after each template', () => {
  const dir = join(root, 'several');
  const result = muster(['render', 'lb.conf.liquid', 'motd.liquid', '-o', dir, '-s', 'web']);
  assert.equal(result.code, 2, 'motd.liquid needs a host: not rendered per host here');
  assert.match(result.stderr, /motd\.liquid:1:\d+: undefined variable: name/);
  writeFileSync(join(root, 'plain.txt.liquid'), '{{ host_list | size }} hosts\n');
  const ok = muster(['render', 'lb.conf.liquid', 'plain.txt.liquid', '-o', dir]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(readdirSync(dir).sort(), ['lb.conf', 'plain.txt']);
  assert.equal(readFileSync(join(dir, 'plain.txt'), 'utf8'), '4 hosts\n');
});

test('render --each-host: one file per selected host, host fields at the top level', () => {
  const dir = join(root, 'motd');
  const result = muster(['render', 'motd.liquid', '--each-host', dir, '-s', 'web']);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(readdirSync(dir).sort(), ['web001.example.lan', 'web002.example.lan', 'web003.example.lan']);
  assert.equal(readFileSync(join(dir, 'web003.example.lan'), 'utf8'), 'Welcome to web003.example.lan (web), dc os1\n');
  // Two templates: DIR/HOST/NAME.
  const both = muster(['render', 'motd.liquid', 'lb.conf.liquid', '--each-host', join(root, 'both'), '-s', 'db1.example.lan']);
  assert.equal(both.code, 0, both.stderr);
  assert.deepEqual(readdirSync(join(root, 'both', 'db1.example.lan')).sort(), ['lb.conf', 'motd']);
  assert.equal(readFileSync(join(root, 'both', 'db1.example.lan', 'motd'), 'utf8'), 'Welcome to db1.example.lan (db), dc none\n');
});

test('render: an undefined variable is exit 2 with template:line:col, no stack, nothing written', () => {
  const result = muster(['render', 'bad.liquid', '-o', join(root, 'bad.out')]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /bad\.liquid:2:6: undefined variable: hosts\.web001\.example\.lan\.http_prot/);
  assertNoStack(result.stderr);
  assert.equal(existsSync(join(root, 'bad.out')), false);
  const usage = muster(['render', 'lb.conf.liquid', '--check']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--check compares with files on disk/);
});

test('gen: to a folder, unchanged on a second run, --check catches a hand edit', () => {
  const dir = join(root, 'nagios');
  const first = muster(['gen', 'nagios', '-o', dir]);
  assert.equal(first.code, 0, first.stderr);
  assert.deepEqual(readdirSync(dir).sort(), ['commands.cfg', 'hosts.cfg', 'services.cfg']);
  assert.match(muster(['gen', 'nagios', '-o', dir]).stderr, /3 files, 0 written, 3 unchanged/);
  assert.equal(muster(['gen', 'nagios', '-o', dir, '--check']).code, 0);
  writeFileSync(join(dir, 'hosts.cfg'), readFileSync(join(dir, 'hosts.cfg'), 'utf8').replace('127.0.0.13', '127.0.0.99'));
  const drift = muster(['gen', 'nagios', '-o', dir, '--check']);
  assert.equal(drift.code, 1);
  assert.match(drift.stdout, /- {4}address {17}127\.0\.0\.99\n\+ {4}address {17}127\.0\.0\.13\n/);
  const single = muster(['gen', 'prometheus', '-s', 'web003.example.lan', '-o', join(root, 'targets.json')]);
  assert.equal(single.code, 0, single.stderr);
  assert.deepEqual((JSON.parse(readFileSync(join(root, 'targets.json'), 'utf8')) as { targets: string[] }[]).map((g) => g.targets), [['127.0.0.13:9100']]);
  const unknown = muster(['gen', 'cacti']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /No generator named "cacti": known: nagios, prometheus/);
  assertNoStack(unknown.stderr);
  assert.match(muster(['gen', '--list']).stdout, /^nagios +Nagios hosts/m);
});

const template = `# Maintenance of {{ src_host }}

## Drain {{ src_host }}

\`\`\`sh
echo "drain {{ src_host.address }}:{{ src_host.http_port }}"
\`\`\`

## Peers

\`\`\`bash
for h in {{ peer_hosts | names | join: " " }}; do echo "peer $h"; done
\`\`\`

## Fail

\`\`\`shell
echo "{{ ticket }}"; exit 3
\`\`\`
`;

test('runbook: render with -c and --set, list steps, run them answering on stdin', () => {
  writeFileSync(join(root, 'maint.md.liquid'), template);
  writeFileSync(join(root, 'job.yaml'), 'src_host: web001.example.lan\npeer_hosts: "web!web001.example.lan"\nticket: OPS-1\n');
  const rendered = muster(['runbook', 'maint.md.liquid', '-c', 'job.yaml', '--set', 'ticket=OPS-2', '-o', 'web001.md']);
  assert.equal(rendered.code, 0, rendered.stderr);
  const text = readFileSync(join(root, 'web001.md'), 'utf8');
  assert.match(text, /^# Maintenance of web001\.example\.lan\n/);
  assert.match(text, /echo "drain 127\.0\.0\.11:80"/);
  assert.match(text, /for h in web002\.example\.lan web003\.example\.lan; do/);
  assert.match(text, /echo "OPS-2"; exit 3/);

  const steps = muster(['runbook', 'steps', 'web001.md']);
  assert.equal(steps.code, 0, steps.stderr);
  assert.match(steps.stdout, /^1\/3\. Drain web001\.example\.lan {2}\[sh, line 5\]\n {4}echo "drain 127\.0\.0\.11:80"\n2\/3\. Peers {2}\[bash, line 11\]\n/);

  // y: run step 1; "maybe": asked again; s: skip step 2; y: step 3 fails with exit 3.
  const run = muster(['runbook', 'run', 'web001.md'], 'y\nmaybe\ns\ny\n');
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /drain 127\.0\.0\.11:80\n/);
  assert.doesNotMatch(run.stdout, /^peer /m);
  assert.match(run.stdout, /OPS-2\n/);
  assert.match(run.stderr, /"maybe"\? answer y, n, s or q/);
  assert.match(run.stderr, /muster: stopped: step 3\/3 failed \(exit 3\); 1 ran, 1 skipped \(log: web001\.md\.log\)/);
  const log = readFileSync(join(root, 'web001.md.log'), 'utf8');
  assert.match(log, /^# muster runbook run web001\.md: started \S+ by \S+/);
  assert.match(log, /== step 1\/3: Drain web001\.example\.lan \(line 5\)\n\$ echo "drain 127\.0\.0\.11:80"\ndrain 127\.0\.0\.11:80\n-- ok in \d+\.\ds\n/);
  assert.match(log, /== step 2\/3: Peers \(line 11\)\n-- skipped\n/);
  assert.match(log, /-- failed \(exit 3\) in \d+\.\ds\n# stopped: step 3\/3 failed \(exit 3\); 1 ran, 1 skipped\n$/);

  // q stops before step 2; end of input is the same as q.
  const quit = muster(['runbook', 'run', 'web001.md', '--log', 'quit.log'], 'y\nq\n');
  assert.equal(quit.code, 1);
  assert.match(quit.stderr, /stopped by the operator before step 2\/3; 1 ran, 0 skipped/);
  const eof = muster(['runbook', 'run', 'web001.md', '--log', 'eof.log'], '');
  assert.equal(eof.code, 1);
  assert.match(eof.stderr, /\(end of input: quit\)/);
  assert.match(readFileSync(join(root, 'eof.log'), 'utf8'), /quit by the operator before this step/);
  assert.equal(statSync(join(root, 'eof.log')).mode & 0o777, 0o600, 'the log may hold secrets: owner only');
});

test('runbook run --yes: every step without asking; exit 0 when all pass', () => {
  writeFileSync(join(root, 'ok.md'), '# OK\n\n```sh\necho a\n```\n\n```bash\necho b\n```\n');
  const run = muster(['runbook', 'run', 'ok.md', '--yes']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /a\n[\s\S]*b\n/);
  assert.doesNotMatch(run.stderr, /Run step/);
  assert.match(run.stderr, /muster: 2 steps: 2 ran, 0 skipped/);
});

test('runbook: an unknown *_host is exit 2 naming the key; no shell blocks is exit 2', () => {
  writeFileSync(join(root, 'typo.yaml'), 'src_host: web001\n');
  const result = muster(['runbook', 'maint.md.liquid', '-c', 'typo.yaml']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /src_host: no host named "web001" in the inventory \(did you mean web001\.example\.lan\?\)/);
  assertNoStack(result.stderr);
  writeFileSync(join(root, 'empty.md'), '# nothing\n');
  assert.equal(muster(['runbook', 'run', 'empty.md', '--yes']).code, 2);
  const unlogged = muster(['runbook', 'run', 'web001.md', '--yes', '--log', join(root, 'no-such-folder', 'x.log')]);
  assertUsageFailure(unlogged, /Cannot write the log .*x\.log: ENOENT/);
  assert.doesNotMatch(unlogged.stdout, /step 1/, 'no step ran without its log');
  mkdirSync(join(root, 'sub'), { recursive: true });
});
