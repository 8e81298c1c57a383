/**
 * The output options of `muster run` (issue 15, items 4–7): how the gathered output is
 * shown (`-L`, `-N`, `--diff`), where it is also written (`--output-dir`), and how much of
 * each stream is kept (`--max-output`). Added to a command with one call; checked into
 * `OutputSettings`, which the fan-out front (runFanout.ts) reads.
 */
import type { Command } from 'commander';
import { parseSize } from '../../core/bytes.js';
import { UsageError } from '../../core/errors.js';

/** The parsed output options (commander's names: `-L` is `byHost`, `-N` is `prefix: false`). */
export interface OutputOptions {
  byHost?: boolean;
  /** False with `-N`; commander sets true otherwise (on commands that have the option). */
  prefix?: boolean;
  diff?: boolean;
  outputDir?: string;
  maxOutput?: string;
  json?: boolean;
  stream?: boolean;
}

/** What the output options come to. */
export interface OutputSettings {
  /** `gathered` (the blocks), `lines` (`-L`/`-N`: each host's lines, hosts sorted), `diff`. */
  view: 'gathered' | 'lines' | 'diff';
  /** Lines (`-L`, `--stream`) start with `host: `; false with `-N`. */
  prefix: boolean;
  outputDir?: string;
  /** The cap on each of stdout and stderr kept per host; undefined when the command has no such option. */
  maxOutputBytes?: number;
}

/** Adds `-L`, `-N`, `--diff`, `--output-dir` and `--max-output` to a command. */
export function addOutputOptions(command: Command): Command {
  return command
    .option('-L, --by-host', 'print each host\'s output lines as `host: line`, hosts sorted by name, at the end (as clush -L)')
    .option('-N, --no-prefix', 'print output lines without the `host: ` prefix (with --stream, or alone: as -L without it)')
    .option('--diff', 'gather, then show each distinct stdout as a unified diff against the largest group (as clush --diff)')
    .option('--output-dir <dir>', 'also write DIR/HOST.stdout and DIR/HOST.stderr (raw bytes, each host as it finishes) and DIR/summary.json')
    .option('--max-output <size>', 'keep at most this much of each of stdout and stderr per host, cut at a line end (e.g. 64K, 10M)', '1M');
}

/**
 * Checks the output options: one view at a time (`--json`, `--diff`, `-L`/`-N` and
 * `--stream` each decide what stdout holds), and a size `--max-output` can take. Throws
 * UsageError naming the flags.
 */
export function outputSettings(options: OutputOptions): OutputSettings {
  const bare = options.prefix === false;
  const views = [
    options.json ? '--json' : '',
    options.diff ? '--diff' : '',
    options.byHost ? '-L' : '',
    bare && !options.byHost && !options.stream ? '-N' : '',
    options.stream && !options.json ? '--stream' : '',
  ].filter(Boolean);
  // --json with --stream is one view (JSON Lines of chunks); -N qualifies -L and --stream.
  if (views.length > 1) throw new UsageError(`${views.join(' and ')} each decide what is printed: give one of them`);
  if (bare && options.json) throw new UsageError('-N and --json: JSON records always name their host; give one of them');
  if (bare && options.diff) throw new UsageError('-N and --diff: the diff names its groups; give one of them');
  const maxOutputBytes = options.maxOutput === undefined ? undefined : parseSize(options.maxOutput, '--max-output');
  if (maxOutputBytes !== undefined && maxOutputBytes > maxOutputCap) {
    throw new UsageError(`Invalid --max-output "${options.maxOutput}": at most 1G (each host's output is held in memory until the run ends)`);
  }
  return {
    view: options.diff ? 'diff' : options.byHost || (bare && !options.stream) ? 'lines' : 'gathered',
    prefix: !bare,
    ...(options.outputDir !== undefined ? { outputDir: options.outputDir } : {}),
    ...(maxOutputBytes !== undefined ? { maxOutputBytes } : {}),
  };
}

/** The largest `--max-output`: every host's kept output stays in memory until the report. */
export const maxOutputCap = 1024 ** 3;
