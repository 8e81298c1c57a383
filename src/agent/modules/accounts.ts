/**
 * User and group names ↔ ids from /etc/passwd and /etc/group, as `ls -l` and `chown` resolve
 * them on a host without NSS extras. Read on each call: an agent runs for months while
 * accounts come and go.
 */
import { readFile } from 'node:fs/promises';
import { ModuleError } from '../module.js';

async function table(file: string): Promise<Array<{ name: string; id: number }>> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    // No such file (a minimal container): only numeric ids work then.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return text.split('\n').filter((line) => line && !line.startsWith('#')).map((line) => {
    const fields = line.split(':');
    return { name: fields[0] ?? '', id: Number(fields[2]) };
  });
}

/** The id of a user (`kind: 'user'`) or group named `name`; a decimal string is the id itself. */
export async function idOf(kind: 'user' | 'group', name: string): Promise<number> {
  if (/^\d+$/.test(name)) return Number(name);
  const found = (await table(kind === 'user' ? '/etc/passwd' : '/etc/group')).find((entry) => entry.name === name);
  if (!found || !Number.isInteger(found.id)) throw new ModuleError('bad-request', `no ${kind} named ${name} on this host`);
  return found.id;
}

/** The name of user or group `id`, or undefined when it has none. */
export async function nameOf(kind: 'user' | 'group', id: number): Promise<string | undefined> {
  return (await table(kind === 'user' ? '/etc/passwd' : '/etc/group')).find((entry) => entry.id === id)?.name;
}
