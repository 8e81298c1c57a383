/**
 * dnsmasq's part: a main config (networks, boot by client architecture, the
 * TFTP root) and the reservations in a separate hosts file read with
 * `dhcp-hostsfile`, so that adding or moving a host needs only a SIGHUP, not a
 * restart. Only hosts whose netboot is on get the `netboot` tag that offers a
 * boot file: an installed host keeps its address and boots its disk.
 */
import { join } from 'node:path';
import type { ProvisionPlan, ResolvedInterface } from './model.js';

/** Where sync writes dnsmasq's files, relative to the output folder. */
export const dnsmasqConfPath = 'dnsmasq.conf';
export const dhcpHostsPath = 'dhcp-hosts';

/** One reservation line per interface: `mac,[set:netboot,]ip,hostname` (no ip for a DHCP interface). */
export function dhcpHosts(plans: readonly ProvisionPlan[]): string {
  const lines = ['# muster provision: DHCP reservations (dhcp-hostsfile; dnsmasq re-reads it on SIGHUP)'];
  for (const plan of plans) {
    for (const i of plan.interfaces) {
      const parts = [i.mac];
      if (plan.netboot.value && i === plan.boot) parts.push('set:netboot');
      if (i.ip !== undefined && i.dhcp !== true) parts.push(i.ip);
      // One name per host: only the boot interface carries it.
      if (i === plan.boot) parts.push(plan.hostname);
      lines.push(parts.join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

interface Network {
  base: string;
  mask: string;
  gateway?: string;
  dns?: string[];
}

function toInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function toIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

/** The networks of the fixed addresses (with a netmask), each with the first gateway and DNS given in it. */
function networksOf(plans: readonly ProvisionPlan[]): Network[] {
  const byBase = new Map<string, Network>();
  const add = (i: ResolvedInterface): void => {
    if (i.ip === undefined || i.netmask === undefined) return;
    const base = toIp((toInt(i.ip) & toInt(i.netmask)) >>> 0);
    const key = `${base}/${i.netmask}`;
    const net = byBase.get(key) ?? { base, mask: i.netmask };
    if (net.gateway === undefined && i.gateway !== undefined) net.gateway = i.gateway;
    if (net.dns === undefined && i.dns !== undefined && i.dns.length > 0) net.dns = i.dns;
    byBase.set(key, net);
  };
  for (const plan of plans) for (const i of plan.interfaces) add(i);
  return [...byBase.values()].sort((a, b) => toInt(a.base) - toInt(b.base));
}

/** Options of the main config. */
export interface DnsmasqOptions {
  /** The output folder, absolute (dnsmasq needs absolute paths). */
  dir: string;
  /** Dynamic ranges `START,END[,MASK]` for interfaces with `dhcp: true`. */
  dhcpRanges?: string[];
}

/** The main config. DNS is off (`port=0`): provisioning serves DHCP and TFTP and leaves names to the DNS there is. */
export function dnsmasqConf(plans: readonly ProvisionPlan[], options: DnsmasqOptions): string {
  const lines = [
    '# muster provision: generated from the inventory; edits are overwritten (muster provision sync)',
    'port=0',
    `dhcp-hostsfile=${join(options.dir, dhcpHostsPath)}`,
    'enable-tftp',
    `tftp-root=${join(options.dir, 'tftp')}`,
  ];
  networksOf(plans).forEach((net, n) => {
    lines.push(`dhcp-range=set:net${n},${net.base},static,${net.mask},12h`);
    if (net.gateway !== undefined) lines.push(`dhcp-option=tag:net${n},option:router,${net.gateway}`);
    if (net.dns !== undefined) lines.push(`dhcp-option=tag:net${n},option:dns-server,${net.dns.join(',')}`);
  });
  for (const range of options.dhcpRanges ?? []) lines.push(`dhcp-range=${range},12h`);
  lines.push(
    '# Boot by client architecture (RFC 4578 option 93); a client that is iPXE already says so in its user class.',
    'dhcp-match=set:bios,option:client-arch,0',
    'dhcp-match=set:efi64,option:client-arch,7',
    'dhcp-match=set:efi64,option:client-arch,9',
    'dhcp-userclass=set:ipxe,iPXE',
    'dhcp-boot=tag:netboot,tag:ipxe,boot.ipxe',
    'dhcp-boot=tag:netboot,tag:!ipxe,tag:efi64,grubx64.efi',
    'dhcp-boot=tag:netboot,tag:!ipxe,tag:!efi64,pxelinux.0',
  );
  return `${lines.join('\n')}\n`;
}
