/**
 * Hosts named on the command line rather than picked from the inventory, as pdsh/clush
 * `-w` and pssh `-h` name them: a nodeset of names or addresses (`-w`), and host files
 * of `[user@]host[:port]` lines (`--hostfile`). Parsing only; fleet.ts turns them into
 * targets (the inventory's own host when the name is there, else the name as address).
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import { expandNodeset } from '../../core/nodeset.js';

/** One host named on the command line; `user` and `port` only when it says them. */
export interface AdhocHost {
  name: string;
  user?: string;
  port?: number;
}

/** A name a host can have: what ssh takes as a host (letters, digits, `.`, `-`, `_`; IPv4 addresses too). */
const hostName = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * `-w web[01-03],root@10.0.0.[1-2]`: the nodeset expanded (core/nodeset.ts, so the same
 * rules as a selector's), each name optionally prefixed `user@` as with pdsh. Throws a
 * UsageError naming `-w` for a bad nodeset or name.
 */
export function parseHostList(text: string, flag = '-w'): AdhocHost[] {
  let names: string[];
  try {
    names = expandNodeset(text);
  } catch (error) {
    throw new UsageError(`Invalid ${flag} "${text}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return names.map((word) => {
    const at = word.lastIndexOf('@');
    const host = { name: at >= 0 ? word.slice(at + 1) : word, ...(at >= 0 ? { user: word.slice(0, at) } : {}) };
    if (!hostName.test(host.name) || host.user === '') throw new UsageError(`Invalid ${flag} "${text}": "${word}" is not [user@]host`);
    return host;
  });
}

/**
 * A pssh host file: one `[user@]host[:port]` per line, blank lines and `#` comments
 * (whole-line or after the entry) ignored. Throws a UsageError naming file:line for a line
 * that is not such an entry (a port out of 1–65535, two words).
 */
export function parseHostfileText(text: string, file: string): AdhocHost[] {
  const hosts: AdhocHost[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const match = /^(?:([^@\s:]+)@)?([^@\s:]+)(?::(\d+))?$/.exec(line);
    const port = match?.[3] === undefined ? undefined : Number(match[3]);
    if (!match || !hostName.test(match[2] ?? '') || (port !== undefined && (port < 1 || port > 65535))) {
      throw new UsageError(`Invalid --hostfile ${file}:${index + 1}: "${line}" is not [user@]host[:port]`);
    }
    hosts.push({ name: match[2] as string, ...(match[1] !== undefined ? { user: match[1] } : {}), ...(port !== undefined ? { port } : {}) });
  });
  return hosts;
}

/** Reads and parses a host file (`-` is muster's stdin). Throws a UsageError when it cannot be read. */
export async function readHostfile(file: string): Promise<AdhocHost[]> {
  let text: string;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else {
      text = await readFile(file, 'utf8');
    }
  } catch (error) {
    throw new UsageError(`Cannot read --hostfile ${file}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return parseHostfileText(text, file);
}

/** `-p PORT`: a whole number from 1 to 65535. */
export function parsePortOption(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) throw new UsageError(`Invalid -p "${text}": give a port from 1 to 65535`);
  return Number(text);
}
