#!/usr/bin/env node
// Starts the CLI: the bundle (dist/bundle, see scripts/bundle.js; faster to load) when it is
// at least as new as the tsc output in dist/, else the tsc output itself.
import { statSync } from 'node:fs';

function fresh(bundle, built) {
  try {
    return statSync(new URL(bundle, import.meta.url)).mtimeMs >= statSync(new URL(built, import.meta.url)).mtimeMs;
  } catch (error) {
    if (error.code === 'ENOENT') return false; // no bundle (or no build): use the tsc output
    throw error;
  }
}

const entry = fresh('../dist/bundle/main.js', '../dist/cli/main.js') ? '../dist/bundle/main.js' : '../dist/cli/main.js';
const { main } = await import(entry);
await main(process.argv.slice(2));
