/**
 * Recording a finished fan-out in the history journal (`muster history`).
 */
import type { RunResult } from '../../run/engine.js';
import type { Presented } from './present.js';

/** What the journal says a run was. */
export interface JournalNote {
  /** The command name (`run`, `push`, …). */
  command: string;
  /** The selector(s) as given. */
  selector: string;
  /** The command line after `muster`; default process.argv. */
  argv?: string[] | undefined;
}

/**
 * Writes one journal entry for a finished run: its outcomes, when it started, its
 * exit code and summary line. The journal (and SQLite with it) is loaded only
 * here, so commands that journal nothing never pay for it. A journal that cannot
 * be written is a warning on stderr, never a failed command (see `journal`).
 */
export async function journalRun(note: JournalNote, result: RunResult, startedAt: Date, presented: Presented): Promise<void> {
  const { journal } = await import('../../history/journal.js');
  journal({
    command: note.command,
    argv: note.argv ?? process.argv.slice(2),
    selector: note.selector,
    outcomes: result.outcomes,
    startedAt,
    durationMs: result.durationMs,
    exitCode: presented.exitCode,
    summary: presented.summary,
  });
}
