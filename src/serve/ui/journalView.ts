/**
 * What the pages read of the history journal, kept between requests. A
 * journaled run never changes, so its details are cached by id (a few, the
 * newest); the list of runs and each host's last outcome are worked out again
 * only when the journal's change index moved, from the new runs alone.
 */
import { getHistory, listHistory, type HistoryDetail, type HistoryOptions, type HistoryRun } from '../../history/journal.js';
/** A host's status in a run (the journal's type; serve does not import run/). */
export type Status = HistoryDetail['outcomes'][number]['status'];

/** A host's last journaled outcome. */
export interface LastOutcome {
  status: Status;
  runId: number;
  command: string;
  startedAt: string;
}

/** How many runs are read for the last outcomes and the runs list. */
export const recentRuns = 50;
const detailCache = 24;

export class JournalView {
  #runs: HistoryRun[] = [];
  #seenIndex = 0;
  #seenRun = 0;
  readonly #last = new Map<string, LastOutcome>();
  readonly #details = new Map<number, HistoryDetail>();

  constructor(readonly options: HistoryOptions) {}

  /** Reads what is new since `journalIndex` last was. A journal that cannot be read is an empty one here. */
  refresh(journalIndex: number): void {
    if (journalIndex === this.#seenIndex) return;
    this.#seenIndex = journalIndex;
    this.#runs = listHistory({ ...this.options, limit: recentRuns });
    const fresh = this.#runs.filter((run) => run.id > this.#seenRun).reverse();
    for (const run of fresh) {
      for (const outcome of this.detail(run.id).outcomes) {
        this.#last.set(outcome.host, { status: outcome.status, runId: run.id, command: run.command, startedAt: run.startedAt });
      }
      this.#seenRun = run.id;
    }
  }

  /** The newest runs, newest first. */
  get runs(): readonly HistoryRun[] {
    return this.#runs;
  }

  /** A host's last outcome among the runs read. */
  lastOutcome(host: string): LastOutcome | undefined {
    return this.#last.get(host);
  }

  /** One run with every outcome (NotFoundError for an unknown id), cached. */
  detail(id: number): HistoryDetail {
    let detail = this.#details.get(id);
    if (detail) {
      // Most recently used last: the oldest entry is the first to go.
      this.#details.delete(id);
    } else {
      detail = getHistory(id, this.options);
    }
    this.#details.set(id, detail);
    if (this.#details.size > detailCache) this.#details.delete(this.#details.keys().next().value as number);
    return detail;
  }
}
