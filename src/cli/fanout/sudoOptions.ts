/**
 * `--sudo` as real fleets have it: `--sudo-user USER` (ansible's --become-user) and sudo's
 * password, asked once on the terminal (`-K`, never echoed) or read from a file
 * (`--sudo-password-file`, for scripts). The password stays in this process and the
 * transport's stdin (sudo.ts): never on a command line, in a log, the journal or `ps`.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../../core/errors.js';
import type { SudoAs } from '../../transport/types.js';

/** The sudo options of the fan-out front. */
export interface SudoOptions {
  sudo?: boolean;
  sudoUser?: string;
  askSudoPass?: boolean;
  sudoPasswordFile?: string;
}

/** What `--sudo` becomes on every host; undefined for plain `sudo -n` as root (or no sudo). Reads or asks for the password once. */
export async function sudoSettings(options: SudoOptions): Promise<SudoAs | undefined> {
  const { sudoUser, askSudoPass, sudoPasswordFile } = options;
  if (sudoUser === undefined && !askSudoPass && sudoPasswordFile === undefined) return undefined;
  const flag = sudoUser !== undefined ? '--sudo-user' : askSudoPass ? '-K' : '--sudo-password-file';
  if (!options.sudo) throw new UsageError(`${flag} is for commands run through sudo: add --sudo`);
  if (askSudoPass && sudoPasswordFile !== undefined) throw new UsageError('-K and --sudo-password-file both give the password: use one');
  if (sudoUser !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(sudoUser)) throw new UsageError(`Invalid --sudo-user "${sudoUser}": a user name`);
  const as: SudoAs = sudoUser !== undefined ? { user: sudoUser } : {};
  if (askSudoPass) as.password = await askPassword('sudo password: ');
  if (sudoPasswordFile !== undefined) as.password = await passwordFrom(sudoPasswordFile);
  return as;
}

async function passwordFrom(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read --sudo-password-file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  const password = text.split('\n')[0] ?? '';
  if (password === '') throw new UsageError(`--sudo-password-file ${file}: its first line is empty`);
  return password;
}

/** Reads one line from the terminal without echoing it (stderr shows the prompt). */
function askPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) return Promise.reject(new UsageError('-K asks on a terminal and there is none: use --sudo-password-file FILE'));
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error): void => {
      input.removeListener('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new UsageError('interrupted at the sudo password prompt'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}
