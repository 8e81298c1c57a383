/**
 * One real network boot, once: in a network namespace of its own (a bridge and
 * a tap, never the machine's network) dnsmasq serves DHCP and TFTP from what
 * `muster provision sync` wrote, a KVM guest PXE-boots with qemu's iPXE ROM
 * (BIOS), chains to its iPXE script, boots Debian's netboot installer, and the
 * installer fetches its preseed from `muster serve` in the same namespace. The
 * test asserts the fetch came from the address dnsmasq leased to that VM's MAC.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { musterBin } from '../cli/commands/cli.test-helper.js';
import { fixtureFolder } from './fixture.test-helper.js';

const mac = '52:54:00:00:00:11';
const ns = `provision-boot-${process.pid}`;
const timeoutMs = 180_000;
// MUSTER_BOOT_ACCEL=kvm|tcg. Default tcg: on this host's (nested) KVM, qemu's iPXE ROM hangs before its
// first DHCP packet (tap RX stays 0); under TCG the whole boot to the preseed fetch takes ~100 s.
const accel = ['-accel', process.env['MUSTER_BOOT_ACCEL'] ?? 'tcg'];
// Named outright: qemu looks for it in /usr/share/qemu, where only qemu-system-data links it. An e1000:
// with virtio-net's ROM under TCG no DHCP request reached dnsmasq.
const rom = '/usr/lib/ipxe/qemu/efi-e1000.rom';

function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for a network namespace';
  try {
    if (accel[1] === 'kvm') accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return 'MUSTER_BOOT_ACCEL=kvm but /dev/kvm is not usable (no KVM here)';
  }
  for (const [bin, pkg] of [['qemu-system-x86_64', 'qemu-system-x86'], ['dnsmasq', 'dnsmasq-base'], ['ip', 'iproute2']] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    } catch {
      return `${bin} is missing (apt install ${pkg})`;
    }
  }
  if (!existsSync('/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/initrd.gz')) return 'the d-i netboot files are missing (apt install debian-installer-12-netboot-amd64)';
  if (!existsSync(rom)) return `qemu's iPXE ROM ${rom} is missing (apt install ipxe-qemu)`;
  return undefined;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
function inNs(args: string[]): void {
  execFileSync('ip', ['netns', 'exec', ns, ...args], { stdio: 'pipe' });
}
function startInNs(args: string[], onOutput?: (text: string) => void): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => onOutput?.(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => onOutput?.(chunk.toString()));
  children.push(child);
  return child;
}

after(() => {
  for (const child of children) if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // Never created (skipped), or already gone.
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('a real PXE boot', () => {
  const why = missing();
  it('a qemu VM PXE-boots the Debian installer, which fetches its preseed from muster serve, from the address leased to its MAC', { skip: why ?? false, timeout: timeoutMs + 30_000 }, async () => {
    const dir = fixtureFolder();
    dirs.push(dir);
    // dnsmasq drops to an unprivileged user: the TFTP root must be readable to it (mkdtemp made 0700).
    execFileSync('chmod', ['755', dir]);
    const out = join(dir, 'out');
    // serve requires a token, as in production: the installer gets in with web1's key, which sync put into its kernel line.
    const tokenFile = join(dir, 'serve.token');
    writeFileSync(tokenFile, 'boot-test-token\n', { mode: 0o600 });
    execFileSync(process.execPath, [musterBin, 'provision', 'sync', '-o', out, '--url', 'http://10.0.0.1:8080', '--token-file', tokenFile, '-q'], { cwd: dir, env: { ...process.env, MUSTER_INVENTORY: '' } });
    execFileSync('ip', ['netns', 'add', ns]);
    inNs(['ip', 'link', 'set', 'lo', 'up']);
    inNs(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    inNs(['ip', 'tuntap', 'add', 'tap0', 'mode', 'tap']);
    inNs(['ip', 'link', 'set', 'tap0', 'master', 'br0']);
    inNs(['ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'br0']);
    inNs(['ip', 'link', 'set', 'br0', 'up']);
    inNs(['ip', 'link', 'set', 'tap0', 'up']);

    const leases = join(dir, 'dnsmasq.leases');
    let dnsmasqLog = '';
    startInNs(['dnsmasq', '-C', join(out, 'dnsmasq.conf'), '--keep-in-foreground', '--log-facility=-', '--log-dhcp', '--interface=br0', '--bind-interfaces', `--dhcp-leasefile=${leases}`, `--pid-file=${join(dir, 'dnsmasq.pid')}`], (t) => { dnsmasqLog += t; });
    let serveLog = '';
    startInNs([process.execPath, musterBin, 'serve', '-i', join(dir, 'muster.yaml'), '--listen', '10.0.0.1:8080', '--token-file', tokenFile, '--json'], (t) => { serveLog += t; });
    const serial = join(dir, 'serial.log');
    writeFileSync(serial, '');
    startInNs(['qemu-system-x86_64', ...accel, '-m', '1024', '-boot', 'n', '-display', 'none', '-no-reboot', '-serial', `file:${serial}`,
      '-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no', '-device', `e1000,netdev=n0,mac=${mac},romfile=${rom}`]);

    const deadline = Date.now() + timeoutMs;
    const fetched = (): Record<string, string> | undefined => serveLog.split('\n').filter((line) => line.includes('"provision: fetched"')).map((line) => JSON.parse(line) as Record<string, string>)[0];
    while (!fetched() && Date.now() < deadline && children.every((child) => child.exitCode === null)) await new Promise((resolve) => setTimeout(resolve, 1000));
    const tail = (text: string): string => text.split('\n').slice(-15).join('\n');
    const fetch = fetched();
    assert.ok(fetch, `no preseed fetch within ${timeoutMs / 1000} s (or a process ended)\n--- dnsmasq:\n${tail(dnsmasqLog)}\n--- serve:\n${tail(serveLog)}\n--- serial:\n${tail(readFileSync(serial, 'latin1'))}`);
    assert.equal(fetch['host'], 'web1.example.lan');
    assert.equal(fetch['file'], 'preseed.cfg');
    // The request came from the address dnsmasq leased to the VM's MAC (its reservation).
    const lease = readFileSync(leases, 'utf8').split('\n').find((line) => line.split(' ')[1] === mac);
    assert.ok(lease, `no lease for ${mac}: ${readFileSync(leases, 'utf8')}`);
    assert.equal(lease.split(' ')[2], fetch['remote']);
    assert.equal(fetch['remote'], '10.0.0.11');
    assert.equal(fetch['from'], `web1.example.lan eth0 ${mac}`);
    assert.match(dnsmasqLog, /sent .*boot\.ipxe|boot\.ipxe/);
    // It came in with web1's key (the request logged with the key left out), not with the token.
    assert.match(serveLog, /"url":"\/v1\/provision\/web1\.example\.lan\/…\/preseed\.cfg","status":200/);
    assert.doesNotMatch(serveLog, /boot-test-token/);
  });
});
