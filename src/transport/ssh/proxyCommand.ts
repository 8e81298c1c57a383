/**
 * ssh_config's `ProxyCommand`: a local command whose stdin/stdout is the connection, as
 * OpenSSH runs it (`$SHELL -c 'exec COMMAND'`, else /bin/sh; tokens already expanded by the config).
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/** What a running ProxyCommand gives the connection. */
export interface ProxySocket {
  /** The command's stdin/stdout, to hand to ssh2 as its socket. */
  socket: Duplex;
  /**
   * Settles when the command ends: undefined when it exited 0, else "ProxyCommand exited …"
   * with the last line it printed on stderr — the reason a connection through it failed.
   */
  failure: Promise<string | undefined>;
}

/** The shell ssh runs ProxyCommand and `Match exec` under: `$SHELL`, or /bin/sh when it is unset or empty. */
export function userShell(): string {
  return process.env['SHELL'] || '/bin/sh';
}

/**
 * Runs `command` and returns its stdin/stdout as a socket. `closed` is the connection's end:
 * the command is killed then, so it never outlives its connection.
 */
export function proxyCommandSocket(command: string, closed: (end: () => void) => void): ProxySocket {
  const child = spawn(userShell(), ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2000);
  });
  child.stdin.on('error', () => undefined);
  const socket = Duplex.from({ readable: child.stdout, writable: child.stdin });
  const failure = new Promise<string | undefined>((resolveFailure) => {
    child.on('error', (error) => {
      socket.destroy(error);
      resolveFailure(`ProxyCommand exited: ${error.message}`);
    });
    child.on('close', (code) => {
      const last = stderr.trim().split('\n').at(-1);
      resolveFailure(code === 0 ? undefined : `ProxyCommand exited with ${code}${last ? `: ${last}` : ''}`);
    });
  });
  closed(() => child.kill());
  return { socket, failure };
}
