/**
 * One fetched file arriving: the remote half sends the file's mode on a first line, then
 * its bytes. They go straight to a temporary file beside the destination, and only a
 * file that arrived whole is renamed into place; anything else (the remote read failed,
 * the local disk is full, the run timed out or was interrupted) removes the temporary
 * file. Memory stays at about one chunk, whatever the size of the file: `push` returns the
 * write's promise, and the transport reads nothing more until it settles.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import { formatBytes } from '../core/bytes.js';

/** The mode line is at most `7777\n`; a longer first line is not the mode. */
const MAX_MODE_LINE_BYTES = 8;

/** How a `FileReceiver` stores one file. */
export interface FileReceiverOptions {
  /** Called once, before the temporary file is made (creates the folders on the way). */
  prepare: () => Promise<void>;
  /** Called once, when the file cannot be stored: stop the remote command, nothing more is wanted. */
  onFailure: (error: Error) => void;
  /** Most bytes of file content accepted; past it the receiver fails. */
  maxBytes: number;
}

/**
 * Receives the mode line and the bytes of one file and stores it at `path`: exclusive
 * create of `path.muster-XXXXXXXXXXXX` (a symlink planted there is never followed), with
 * the remote permission bits less the umask (as scp does: a fetched 0600 secret is not
 * readable by everyone here), then a rename over `path` in `finish`.
 */
export class FileReceiver {
  private head: Buffer[] = [];
  private headBytes = 0;
  private mode: number | undefined;
  private handle: FileHandle | undefined;
  private temp: string | undefined;
  private writing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  /** Set by `discard`: a chunk the transport still delivers after it must not make a new file. */
  private discarded = false;
  /** Bytes of file content received so far. */
  received = 0;

  constructor(private readonly path: string, private readonly options: FileReceiverOptions) {}

  /** Takes the next chunk of the stream; the promise settles once it is written (it never rejects). */
  push(chunk: Buffer): Promise<void> {
    this.writing = this.writing.then(() => this.take(chunk)).catch((error: unknown) => this.fail(error));
    return this.writing;
  }

  /** Why the file could not be stored, once it cannot be. */
  get error(): Error | undefined {
    return this.failure;
  }

  /** The stream ended well (the remote read exited 0): renames the file into place. Throws why it cannot. */
  async finish(): Promise<void> {
    await this.writing;
    if (this.failure === undefined && this.mode === undefined) this.fail(new Error('no file mode came before the content'));
    if (this.failure !== undefined) {
      await this.discard();
      throw this.failure;
    }
    const handle = this.handle as FileHandle;
    this.handle = undefined;
    await handle.close();
    await rename(this.temp as string, this.path);
    this.temp = undefined;
  }

  /** Something went wrong or the run was stopped: removes the temporary file, if any. Never throws. */
  async discard(): Promise<void> {
    this.discarded = true;
    await this.writing;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
    if (this.temp !== undefined) await rm(this.temp, { force: true }).catch(() => undefined);
    this.temp = undefined;
  }

  private async take(chunk: Buffer): Promise<void> {
    if (this.failure !== undefined || this.discarded) return;
    let content = chunk;
    if (this.mode === undefined) {
      content = this.takeModeLine(chunk);
      if (this.mode === undefined) return;
    }
    this.received += content.length;
    if (this.received > this.options.maxBytes) throw new Error(`it is larger than ${formatBytes(this.options.maxBytes)}`);
    if (this.handle === undefined) await this.create();
    if (content.length > 0) await (this.handle as FileHandle).write(content);
  }

  /** Collects the first line; returns the content that followed it in this chunk. */
  private takeModeLine(chunk: Buffer): Buffer {
    this.head.push(chunk);
    this.headBytes += chunk.length;
    const head = Buffer.concat(this.head, this.headBytes);
    const end = head.indexOf(0x0a);
    if (end < 0) {
      if (this.headBytes > MAX_MODE_LINE_BYTES) throw new Error('no file mode came before the content');
      this.head = [head];
      return Buffer.alloc(0);
    }
    const text = head.subarray(0, end).toString('latin1');
    if (!/^[0-7]{3,4}$/.test(text)) throw new Error('no file mode came before the content');
    this.mode = Number.parseInt(text, 8) & 0o777;
    this.head = [];
    return head.subarray(end + 1);
  }

  private async create(): Promise<void> {
    await this.options.prepare();
    const temp = `${this.path}.muster-${randomBytes(6).toString('hex')}`;
    this.handle = await open(temp, 'wx', this.mode);
    this.temp = temp;
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.options.onFailure(this.failure);
  }
}
