/**
 * `--output-dir DIR` (pssh `-o`/`-e`): each host's stdout and stderr in DIR/HOST.stdout
 * and DIR/HOST.stderr, the exact bytes it sent (no escaping: these are files, not a
 * terminal), and DIR/summary.json at the end.
 *
 * A host's files are written when the host finishes, not as its output comes: that is
 * when its output is known whole (cut at `--max-output` like every view). Each file is
 * written under a temporary name and renamed into place, synchronously inside the
 * engine's event, so no Ctrl-C (the signal handler runs between events) can leave a
 * partial file: a file is there whole or not at all. After a second Ctrl-C (muster ends
 * at once) the files of the hosts done so far are there, and summary.json is not.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MusterError } from '../../core/errors.js';
import type { RunResult } from '../../run/engine.js';
import type { RunEvent } from '../../run/events.js';
import type { Outcome } from '../../run/outcome.js';
import { hostRecord, summaryRecord } from '../../report/jsonLines.js';

/** The file name a host's output goes to: its name, with `/` and `%` escaped so it stays in DIR. */
export function hostFileName(host: string, stream: 'stdout' | 'stderr'): string {
  const safe = host.replace(/%/g, '%25').replace(/\//g, '%2F').replace(/^\./, '%2E');
  return `${safe}.${stream}`;
}

export interface OutputDir {
  /** Writes a finished host's files (give it every engine event). */
  onEvent(event: RunEvent): void;
  /** Writes the files of hosts not written yet (a command whose engine events came elsewhere), then summary.json. */
  finish(result: RunResult, exitCode: number): void;
}

/** Creates DIR (and its parents) now, so a bad DIR fails before any host runs. */
export function outputDir(dir: string): OutputDir {
  const fail = (error: unknown): never => {
    throw new MusterError(`Cannot write --output-dir ${dir}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  };
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    fail(error);
  }
  const written = new Set<string>();
  const writeAtomic = (name: string, bytes: Buffer | string): void => {
    const path = join(dir, name);
    const temporary = join(dir, `.${name}.${process.pid}.tmp`);
    try {
      writeFileSync(temporary, bytes);
      renameSync(temporary, path);
    } catch (error) {
      fail(error);
    }
  };
  const writeHost = (outcome: Outcome): void => {
    writeAtomic(hostFileName(outcome.host, 'stdout'), outcome.stdoutBytes ?? outcome.stdout);
    writeAtomic(hostFileName(outcome.host, 'stderr'), outcome.stderrBytes ?? outcome.stderr);
    written.add(outcome.host);
  };
  return {
    onEvent(event) {
      if (event.type === 'host-done') writeHost(event.outcome);
    },
    finish(result, exitCode) {
      // Hosts never started have no output: no files, only their line in summary.json.
      for (const outcome of result.outcomes) if (!written.has(outcome.host) && outcome.status !== 'skipped') writeHost(outcome);
      const hosts = result.outcomes.map((outcome) => {
        const { stdout: _stdout, stderr: _stderr, stdoutBase64: _b1, stderrBase64: _b2, type: _type, ...rest } = hostRecord(outcome);
        return written.has(outcome.host)
          ? { ...rest, stdoutFile: hostFileName(outcome.host, 'stdout'), stderrFile: hostFileName(outcome.host, 'stderr') }
          : rest;
      });
      writeAtomic('summary.json', `${JSON.stringify({ ...summaryRecord(result, exitCode), results: hosts }, null, 2)}\n`);
    },
  };
}
