/**
 * `--json --stream`: each chunk of output as a JSON Lines record the moment it comes,
 * `{"type":"output","host":"web01","stream":"stdout","data":"…"}`. A chunk is cut
 * wherever the transport's read ended, possibly inside a UTF-8 character: the last
 * bytes of an unfinished character wait for the next chunk, so text stays text. A chunk
 * that is still not valid UTF-8 (binary output, a Latin-1 file) is carried exactly as
 * `dataBase64` instead of `data`, as the host records carry `stdoutBase64`: no byte a
 * host sent is lost or replaced by U+FFFD.
 */
import { isUtf8 } from 'node:buffer';

/** One output record: exactly one of `data` (UTF-8 text) and `dataBase64` (the bytes). */
export interface OutputRecord {
  type: 'output';
  host: string;
  stream: 'stdout' | 'stderr';
  data?: string;
  dataBase64?: string;
}

/** Splits one host's stream into records; `flush` gives what an unfinished character left. */
export interface ChunkRecords {
  push(chunk: Buffer): OutputRecord | undefined;
  flush(): OutputRecord | undefined;
}

/** How many bytes at the end of `bytes` start a character that is not complete yet (0–3). */
export function unfinishedTail(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] as number;
    if ((byte & 0xc0) === 0x80) continue;
    // A lead byte: how long its character is; unfinished if longer than what is here.
    // ASCII and bytes that lead nothing (0xf8 and up) end nothing to wait for.
    if (byte < 0xc0 || byte >= 0xf8) return 0;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return length > back ? back : 0;
  }
  return 0;
}

export function chunkRecords(host: string, stream: 'stdout' | 'stderr'): ChunkRecords {
  let carried: Buffer = Buffer.alloc(0);
  const record = (bytes: Buffer): OutputRecord | undefined => {
    if (bytes.length === 0) return undefined;
    return isUtf8(bytes)
      ? { type: 'output', host, stream, data: bytes.toString('utf8') }
      : { type: 'output', host, stream, dataBase64: bytes.toString('base64') };
  };
  return {
    push(chunk) {
      const bytes = carried.length > 0 ? Buffer.concat([carried, chunk]) : chunk;
      const keep = unfinishedTail(bytes);
      carried = Buffer.from(bytes.subarray(bytes.length - keep));
      return record(bytes.subarray(0, bytes.length - keep));
    },
    flush() {
      const rest = carried;
      carried = Buffer.alloc(0);
      return record(rest);
    },
  };
}
