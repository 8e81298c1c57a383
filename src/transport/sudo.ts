/**
 * How every transport runs a command line through sudo: one wrapping, for commands and
 * kill scripts alike, as root or as another user (`--sudo-user`), with a password when
 * sudo asks for one (`-K`). The password never appears on a command line, here or on the
 * host: it is the first line of the command's stdin, read by the host's shell into an
 * unexported variable and handed to sudo through its askpass hook (`SUDO_ASKPASS=printenv`
 * prints the variable the prompt names), so it reaches sudo only when sudo asks, never the
 * command (sudo's env_reset drops it), and the rest of stdin is the command's.
 */
import { shellQuote } from '../core/shell.js';
import type { Session, SudoAs, Transport } from './types.js';

/** What an exec says about sudo: not at all, as root (`true`), or as `SudoAs` says. */
export type Sudo = boolean | SudoAs | undefined;

/** The name of the host-side variable the askpass hook prints. */
const passwordVariable = 'MUSTER_SUDO_PW';

/**
 * `line` as it is run: unchanged without sudo, else through `sudo -- sh -c` with the line
 * quoted as one argument, so that it keeps its shell syntax (pipes, `;`, `&`). Without a
 * password `-n` makes a sudo that would ask fail at once rather than hang.
 */
export function sudoLine(line: string, sudo: Sudo): string {
  if (!sudo) return line;
  const as = sudo === true ? {} : sudo;
  const user = as.user !== undefined ? ` -u ${shellQuote(as.user)}` : '';
  if (as.password === undefined) return `sudo -n${user} -- sh -c ${shellQuote(line)}`;
  return `IFS= read -r muster_sudo_pw; ${passwordVariable}=$muster_sudo_pw SUDO_ASKPASS=/usr/bin/printenv sudo -A -p ${passwordVariable}${user} -- sh -c ${shellQuote(line)}`;
}

/** The stdin to send with a `sudoLine`: the password line first when there is one. */
export function sudoInput(sudo: Sudo, stdin: string | Buffer | undefined): string | Buffer | undefined {
  const password = typeof sudo === 'object' ? sudo.password : undefined;
  if (password === undefined) return stdin;
  return Buffer.concat([Buffer.from(`${password}\n`), stdin === undefined ? Buffer.alloc(0) : Buffer.from(stdin)]);
}

/** A kill script runs as root whoever the command ran as, with the same password. */
export function killerOf(sudo: Sudo): Sudo {
  if (typeof sudo !== 'object') return sudo;
  return sudo.password !== undefined ? { password: sudo.password } : true;
}

/** A transport whose execs asked to run through sudo (`sudo: true`) run as `as` says. */
export function sudoAsTransport(transport: Transport, as: SudoAs): Transport {
  const session = (opened: Session): Session => ({
    ...opened,
    target: opened.target,
    exec: (command, options = {}) => opened.exec(command, options.sudo === true ? { ...options, sudo: as } : options),
    close: () => opened.close(),
  });
  return {
    ...transport,
    connect: async (target, options) => session(await transport.connect(target, options)),
    ...(transport.close ? { close: () => transport.close?.() ?? Promise.resolve() } : {}),
  };
}
