/**
 * Reading a text file muster was told to read (an inventory, a task, a
 * template) without trusting what sits at the path. Only a regular file, or a
 * symlink to one, is read: a FIFO would block the read forever (and with it a
 * server's reloads and its shutdown), `/dev/zero` would be read until memory
 * runs out. The rules, in order:
 *
 * 1. `stat` the path (symlinks followed); anything but a regular file is refused.
 * 2. Open it with O_NONBLOCK, so a FIFO swapped in after the stat cannot block
 *    the open, then `fstat` the descriptor and refuse again if it is not regular:
 *    what is read is what was checked.
 * 3. Refuse a file over `maxBytes` before reading it, and stop reading one that
 *    grows past it meanwhile.
 * 4. Decode as UTF-8, strictly: invalid bytes are refused at their line:col,
 *    never replaced in silence.
 *
 * Every refusal is an `InvalidFileError` of `what` with one problem, so a
 * caller prints one line and a server reports it like any invalid file.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { mebibytes } from './bytes.js';
import { InvalidFileError, type Problem } from './errors.js';

/** How to read: what the file is (for messages) and the most bytes it may have. */
export interface ReadRegularOptions {
  /** What the file is, as messages say it: `inventory`, `task x.yaml`, `template t.liquid`. */
  what: string;
  /** The path to name before each problem; leave it out when `what` names the file already (`task x.yaml`). */
  shown?: string;
  maxBytes: number;
  /** How messages name the limit (default: `the limit of N MiB`). */
  limitName?: string;
  signal?: AbortSignal;
}

/** What a read past the file's size asks for: a file that grew, or the end; small, as it is usually the end. */
const pastEndChunk = 64 * 1024;

/**
 * How many bytes the next read asks for: the rest of the file as `fstat` sized it, else a
 * small chunk (a file growing, or the read that finds the end), and never more than one
 * byte past the limit, which is enough to know it was passed.
 */
function nextReadSize(size: number, total: number, maxBytes: number): number {
  return Math.max(1, Math.min(total < size ? size - total : pastEndChunk, maxBytes + 1 - total));
}

/** Reads a regular file as strict UTF-8 under the rules above; throws `InvalidFileError` (one problem) otherwise. */
export async function readRegularFile(path: string, options: ReadRegularOptions): Promise<string> {
  const refuse = refusal(options);
  checkKind(statOf(path, refuse), options, refuse);
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return refuse(reasonOf(error), error);
  }
  try {
    const collected = new Collected(checkKind(await handle.stat(), options, refuse), options, refuse);
    for (;;) {
      options.signal?.throwIfAborted();
      const buffer = collected.nextBuffer();
      if (!collected.took(buffer, (await handle.read(buffer, 0, buffer.length, null)).bytesRead)) break;
    }
    return collected.text(path);
  } finally {
    await handle.close();
  }
}

/** `readRegularFile`, synchronously (for Liquid's synchronous file system and the CLI's one-off reads). */
export function readRegularFileSync(path: string, options: Omit<ReadRegularOptions, 'signal'>): string {
  const refuse = refusal(options);
  checkKind(statOf(path, refuse), options, refuse);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return refuse(reasonOf(error), error);
  }
  try {
    const collected = new Collected(checkKind(fstatSync(fd), options, refuse), options, refuse);
    for (;;) {
      const buffer = collected.nextBuffer();
      if (!collected.took(buffer, readSync(fd, buffer, 0, buffer.length, null))) break;
    }
    return collected.text(path);
  } finally {
    closeSync(fd);
  }
}

/** What the read loop of both readers has read so far: rules 3 and 4 above, the same for both. */
class Collected {
  private readonly chunks: Buffer[] = [];
  private total = 0;

  constructor(private readonly size: number, private readonly options: ReadRegularOptions, private readonly refuse: (message: string) => never) {}

  /** A buffer for the next read (see nextReadSize). */
  nextBuffer(): Buffer {
    return Buffer.allocUnsafe(nextReadSize(this.size, this.total, this.options.maxBytes));
  }

  /** Keeps what a read put in `buffer`; false at the end of the file. Refuses a file that grew past the limit. */
  took(buffer: Buffer, bytesRead: number): boolean {
    if (bytesRead === 0) return false;
    this.chunks.push(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead));
    this.total += bytesRead;
    if (this.total > this.options.maxBytes) this.refuse(tooBig(this.total, this.options, 'grew'));
    return true;
  }

  /** The file's text, strictly decoded. */
  text(path: string): string {
    return decode(Buffer.concat(this.chunks, this.total), this.options.shown ?? path, this.options.what);
  }
}

/** Throws the one problem of a refused file. */
function refusal(options: ReadRegularOptions): (message: string, cause?: unknown) => never {
  return (message, cause) => {
    const problem = { message: options.shown === undefined ? message : `${options.shown}: ${message}` };
    throw new InvalidFileError(options.what, [problem], cause === undefined ? undefined : { cause });
  };
}

function statOf(path: string, refuse: (message: string, cause?: unknown) => never): Stats {
  try {
    return statSync(path);
  } catch (error) {
    return refuse(reasonOf(error), error);
  }
}

/** The size of a regular file within the limit; any other kind, or a bigger file, is refused. */
function checkKind(stats: Stats, options: ReadRegularOptions, refuse: (message: string) => never): number {
  if (!stats.isFile()) refuse(`not a regular file (it is ${kindOf(stats)}); muster reads only regular files or symlinks to them`);
  if (stats.size > options.maxBytes) refuse(tooBig(stats.size, options, 'is'));
  return stats.size;
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

function tooBig(bytes: number, options: ReadRegularOptions, verb: 'is' | 'grew'): string {
  const limit = options.limitName ?? `the limit of ${mebibytes(options.maxBytes)}`;
  return `${verb === 'is' ? `is ${mebibytes(bytes)}` : `grew past ${mebibytes(options.maxBytes)} while being read`}, over ${limit}`;
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'not a regular file (it is a folder)';
  return error instanceof Error ? error.message : String(error);
}

/** The text of `bytes`, or a refusal at the line:col of the first byte that is not UTF-8. */
function decode(bytes: Buffer, shown: string, what: string): string {
  const text = bytes.toString('utf8');
  if (isUtf8(bytes)) return text;
  let index = text.indexOf('\uFFFD');
  let offset = 0;
  while (index !== -1) {
    offset = Buffer.byteLength(text.slice(0, index), 'utf8');
    // A U+FFFD written in the file as its three bytes is a character like any other.
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) break;
    index = text.indexOf('\uFFFD', index + 1);
  }
  const before = text.slice(0, Math.max(index, 0));
  const line = before.split('\n').length;
  const col = before.length - before.lastIndexOf('\n');
  const problem: Problem = { message: `invalid UTF-8 (byte 0x${(bytes[offset] ?? 0).toString(16).padStart(2, '0')}): muster reads text files as UTF-8; convert it (iconv -t UTF-8)`, at: { file: shown, line, col } };
  throw new InvalidFileError(what, [problem]);
}
