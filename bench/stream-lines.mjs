#!/usr/bin/env node
// The cost of `--stream`'s line splitter (report/lineStream.ts) on its own, without a lab:
// 32 MB of 100-byte lines, and one 64 MiB line, fed in 32 KiB chunks as ssh delivers them,
// uncapped and at the CLI's 1 MiB cap. Linear in bytes means the one long line costs about
// what the same bytes in short lines do. Median of ROUNDS (3).
//
//   npx tsc -p tsconfig.json && node bench/stream-lines.mjs
//   BUILD=/other/checkout node bench/stream-lines.mjs     # the same with another build's dist/
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { median } from './timing.mjs';

const root = process.env.BUILD ?? fileURLToPath(new URL('..', import.meta.url));
const { lineStream } = await import(join(root, 'dist/report/lineStream.js'));
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CHUNK = 32 * 1024;
const shapes = {
  'short lines, 32 MB': Buffer.from(`${'a'.repeat(99)}\n`.repeat(320_000)),
  'one line, 64 MiB': Buffer.concat([Buffer.alloc(64 * 1024 * 1024, 'a'), Buffer.from('\n')]),
};
for (const [name, bytes] of Object.entries(shapes)) {
  for (const maxLineBytes of [undefined, 1024 * 1024]) {
    const times = [];
    for (let round = 0; round < ROUNDS; round++) {
      const stream = lineStream('lab01', () => undefined, maxLineBytes === undefined ? {} : { maxLineBytes });
      const started = performance.now();
      for (let at = 0; at < bytes.length; at += CHUNK) stream.push(bytes.subarray(at, at + CHUNK));
      stream.flush();
      times.push(performance.now() - started);
    }
    console.log(`${name}, ${maxLineBytes === undefined ? 'no cap' : '1 MiB cap'}: ${median(times).toFixed(0)} ms`);
  }
}
