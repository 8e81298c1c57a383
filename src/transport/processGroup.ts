/**
 * How a command line is wrapped for a remote host so that aborting it really kills it.
 *
 * sshd starts every non-pty command through the user's shell in a new session (setsid), so
 * that shell's PID is the process group of everything the command starts — `sleep 1000; echo x`,
 * `sh -c 'sleep 1000 & wait'` alike. The wrapper's first line prints that PID on stderr behind a
 * marker; the transport strips the marker from the output and, on abort, kills the whole group
 * over a second channel of the same connection, with the rest of its session (TERM, then KILL
 * after 2 s if anything is left).
 * No extra round trip happens unless the command is aborted.
 *
 * The local transport knows its command's group without a marker (it starts the session
 * itself) and runs the same kill script, through the same `stopProcessGroup` sequence.
 */
import { killerOf, sudoInput, sudoLine, type Sudo } from './sudo.js';

/** How long an abort waits for the process-group marker when the command was aborted at once. */
export const PGID_WAIT_MS = 2_000;
/** How long an abort waits for the kill script before giving up on it (the caller then closes regardless). */
export const KILL_WAIT_MS = 3_000;

/** The marker line, `\x1emuster-pgid=PID\n`: a control character no real output starts a line with. */
const MARKER_PREFIX = Buffer.from('\x1emuster-pgid=');
/** Output seen before the marker is held back at most this long (a login rc file may print first). */
const MAX_HELD_BYTES = 64 * 1024;

/** The command line sent to the host: prints the process group, then runs `command` (under `sudo -n` when asked). */
export function wrapRemoteCommand(command: string, sudo: Sudo): string {
  return `printf '\\036muster-pgid=%s\\n' "$$" >&2\n${sudoLine(command, sudo)}`;
}

/**
 * The command line that stops what the command started: process group `pgid` and, since
 * sshd made that shell a session leader, every process of its session too (`timeout`, job
 * control and the like move children to groups of their own, but not out of the session).
 * TERM, wait up to 2 s for all to be gone, then KILL. It returns once they are gone (or
 * killed), so the caller can report the command dead. Without pkill/pgrep (procps) only the
 * group is reached.
 */
export function killGroupCommand(pgid: number, sudo: Sudo): string {
  const script = `p=${pgid}; `
    + 'alive() { kill -0 -$p 2>/dev/null || pgrep -s $p >/dev/null 2>&1; }; '
    + 'kill -TERM -$p 2>/dev/null; pkill -TERM -s $p 2>/dev/null; i=0; '
    + 'while alive; do i=$((i+1)); '
    + 'if [ $i -ge 20 ]; then kill -KILL -$p 2>/dev/null; pkill -KILL -s $p 2>/dev/null; exit 0; fi; sleep 0.1; done; exit 0';
  return sudoLine(script, killerOf(sudo));
}

/**
 * Strips the pgid marker from a stderr stream. Chunks before the marker are held back
 * (bounded), so the marker never reaches the caller's output or callbacks.
 */
export class PgidMarkerFilter {
  private held: Buffer[] = [];
  private heldBytes = 0;
  private done = false;
  /** The remote process group, once the marker was seen. */
  pgid: number | undefined;

  constructor(
    private readonly emit: (chunk: Buffer) => void,
    private readonly onPgid: (pgid: number) => void = () => undefined,
  ) {}

  /** Feeds one stderr chunk. */
  push(chunk: Buffer): void {
    if (this.done) {
      this.emit(chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    const all = Buffer.concat(this.held);
    const start = all.indexOf(MARKER_PREFIX);
    if (start >= 0) {
      const end = all.indexOf(0x0a, start);
      if (end >= 0) {
        const pgid = Number(all.subarray(start + MARKER_PREFIX.length, end).toString('latin1'));
        this.finish(Buffer.concat([all.subarray(0, start), all.subarray(end + 1)]));
        if (Number.isInteger(pgid) && pgid > 1) {
          this.pgid = pgid;
          this.onPgid(pgid);
        }
        return;
      }
    }
    this.held = [all];
    if (this.heldBytes > MAX_HELD_BYTES) this.finish(all);
  }

  /** Flushes whatever is still held (the stream ended before a marker). */
  end(): void {
    if (!this.done) this.finish(Buffer.concat(this.held));
  }

  private finish(rest: Buffer): void {
    this.done = true;
    this.held = [];
    this.heldBytes = 0;
    if (rest.length > 0) this.emit(rest);
  }
}

/**
 * One remote command and its process group: the wrapped command line to send, the stderr
 * filter that learns the group from the marker, and a bounded wait for it. Both ssh
 * transports build one per exec and feed it the command's stderr.
 */
export class RemoteProcessGroup {
  /** The command line to run on the host: the marker first, then the command. */
  readonly line: string;
  private readonly filter: PgidMarkerFilter;
  private readonly arrived: Promise<number>;

  constructor(command: string, readonly sudo: Sudo, emitStderr: (chunk: Buffer) => void) {
    this.line = wrapRemoteCommand(command, sudo);
    let resolvePgid: (pgid: number) => void = () => undefined;
    this.arrived = new Promise<number>((resolveArrived) => { resolvePgid = resolveArrived; });
    this.filter = new PgidMarkerFilter(emitStderr, (pgid) => resolvePgid(pgid));
  }

  /** The group, once the marker was seen; undefined means the command has not started (yet). */
  get pgid(): number | undefined {
    return this.filter.pgid;
  }

  /** Feeds one chunk of the command's stderr. */
  pushStderr(chunk: Buffer): void {
    this.filter.push(chunk);
  }

  /** The stderr stream ended: flushes what the filter still holds. */
  end(): void {
    this.filter.end();
  }

  /**
   * The group, waiting up to PGID_WAIT_MS for the marker: a command aborted right after it was
   * sent has not printed it yet. Undefined when it never came (the command never started).
   */
  async known(): Promise<number | undefined> {
    if (this.filter.pgid !== undefined) return this.filter.pgid;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.arrived,
        new Promise<undefined>((resolveWait) => { timer = setTimeout(() => resolveWait(undefined), PGID_WAIT_MS); }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The one "stop this command" sequence of every transport: once the group is known, run the
 * kill script (`killGroupCommand`) through `run` and wait for it, at most KILL_WAIT_MS. Then
 * `run`'s signal aborts and the wait ends, whatever `run` does with it; every transport ends
 * its kill client on it (openssh its `ssh`, ssh its channel, local its `sh`), so a script that
 * hangs holds nothing of muster's. `fallback` is for when the script cannot help: the group
 * never became known, or `run` rejected (no channel, no `sh`) — it signals what the transport
 * can still reach directly. Never rejects: stopping is best effort, and the caller closes its
 * side whatever happened.
 */
export async function stopProcessGroup(
  pgid: number | undefined | Promise<number | undefined>,
  sudo: Sudo,
  run: (command: string, signal: AbortSignal, stdin: string | Buffer | undefined) => Promise<unknown>,
  fallback: () => void,
): Promise<void> {
  const group = await pgid;
  if (group === undefined) {
    fallback();
    return;
  }
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolveWait) => {
    timer = setTimeout(() => {
      deadline.abort();
      resolveWait();
    }, KILL_WAIT_MS);
  });
  try {
    await Promise.race([run(killGroupCommand(group, sudo), deadline.signal, sudoInput(killerOf(sudo), undefined)), waited]);
  } catch {
    // The kill script could not run: the direct signal is all that is left.
    fallback();
  } finally {
    clearTimeout(timer);
  }
}
