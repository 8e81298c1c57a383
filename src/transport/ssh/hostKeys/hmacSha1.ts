/**
 * HMAC-SHA1 with a precomputed key, for hashed known_hosts lines (`|1|salt|hash`).
 *
 * Looking one host up in a hashed known_hosts file means one HMAC per hashed line, and a
 * fan-out looks up every host: 1,000 hosts against 1,000 lines is a million HMACs. Node's
 * `createHmac` costs ~2 µs each (object setup and key schedule every time); here the key's
 * inner and outer SHA-1 states are computed once per line, and a lookup is two SHA-1
 * compressions in plain arithmetic — several times cheaper. Only short messages (host names,
 * at most 55 bytes, so one block) take the fast path; longer ones fall back to `createHmac`.
 */
import { createHash, createHmac } from 'node:crypto';

/** A SHA-1 chaining state: five 32-bit words. */
type State = Uint32Array;

const INITIAL = Uint32Array.of(0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0);
/** Scratch space, reused: the message schedule and one block of words. */
const w = new Int32Array(80);
const blockWords = new Int32Array(16);

/** One SHA-1 compression of the 16 words in `blockWords`, from `state` into `out`. */
function compress(state: State, out: State): void {
  for (let i = 0; i < 16; i++) w[i] = blockWords[i] as number;
  for (let i = 16; i < 80; i++) {
    const x = (w[i - 3] as number) ^ (w[i - 8] as number) ^ (w[i - 14] as number) ^ (w[i - 16] as number);
    w[i] = (x << 1) | (x >>> 31);
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  for (let i = 0; i < 80; i++) {
    let f: number;
    let k: number;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6;
    }
    const t = (((a << 5) | (a >>> 27)) + f + e + k + (w[i] as number)) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = t;
  }
  out[0] = (state[0] as number) + a;
  out[1] = (state[1] as number) + b;
  out[2] = (state[2] as number) + c;
  out[3] = (state[3] as number) + d;
  out[4] = (state[4] as number) + e;
}

/** Loads a 64-byte block into `blockWords`. */
function loadBlock(block: Uint8Array): void {
  for (let i = 0; i < 16; i++) {
    blockWords[i] = ((block[i * 4] as number) << 24) | ((block[i * 4 + 1] as number) << 16)
      | ((block[i * 4 + 2] as number) << 8) | (block[i * 4 + 3] as number);
  }
}

/** Loads the final block of a message of at most 55 bytes that follows one block already hashed. */
function loadFinal(message: Uint8Array, length: number): void {
  blockWords.fill(0);
  for (let i = 0; i < length; i++) blockWords[i >> 2] = (blockWords[i >> 2] as number) | ((message[i] as number) << (24 - 8 * (i & 3)));
  blockWords[length >> 2] = (blockWords[length >> 2] as number) | (0x80 << (24 - 8 * (length & 3)));
  blockWords[15] = (64 + length) * 8;
}

/** Loads the final block of the outer hash: a 20-byte digest (five words) after one block. */
function loadDigestFinal(digest: State): void {
  blockWords.fill(0);
  for (let i = 0; i < 5; i++) blockWords[i] = digest[i] as number;
  blockWords[5] = 0x80000000 | 0;
  blockWords[15] = (64 + 20) * 8;
}

const scratch = Buffer.alloc(55);
const innerState = new Uint32Array(5);
const outerState = new Uint32Array(5);

/** An HMAC-SHA1 key prepared once, for many short messages. */
export class HmacSha1Key {
  private readonly inner: State;
  private readonly outer: State;

  constructor(private readonly key: Buffer) {
    const block = new Uint8Array(64);
    // Keys longer than a block are hashed first (RFC 2104); known_hosts salts are 20 bytes.
    block.set(key.length > 64 ? createHash('sha1').update(key).digest() : key);
    this.inner = new Uint32Array(5);
    this.outer = new Uint32Array(5);
    loadBlock(block.map((byte) => byte ^ 0x36));
    compress(INITIAL, this.inner);
    loadBlock(block.map((byte) => byte ^ 0x5c));
    compress(INITIAL, this.outer);
  }

  /** HMAC-SHA1(key, message). */
  digest(message: string): Buffer {
    const length = Buffer.byteLength(message, 'utf8');
    if (length > 55) return createHmac('sha1', this.key).update(message).digest();
    scratch.write(message, 0, 'utf8');
    loadFinal(scratch, length);
    compress(this.inner, innerState);
    loadDigestFinal(innerState);
    compress(this.outer, outerState);
    const out = Buffer.alloc(20);
    for (let i = 0; i < 5; i++) out.writeUInt32BE(outerState[i] as number, i * 4);
    return out;
  }
}
