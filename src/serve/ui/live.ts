/**
 * The UI's change index: one counter moved by an inventory version (the
 * server's reload) and by the history journal changing (a `muster run`
 * somewhere on this machine). Pages long-poll it with `/ui/live?index=N`,
 * one request per open page, parked in a watch set of the UI's own: a journal
 * change wakes the pages only, never the API's blocking queries (thousands of
 * watchers should not come back because someone ran `uptime`).
 *
 * The journal is SQLite in WAL mode: a write lands in history.db-wal, and the
 * writer's close folds it into history.db. Both files are watched by stat
 * (fs.watchFile: it works on files that do not exist yet, and a stat every
 * half second is no storm); either one changing is news.
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { WatchSet } from '../watches.js';

export class UiLive {
  readonly watches = new WatchSet();
  #index = 1;
  #journalIndex = 1;
  readonly #files: string[];
  #timer: NodeJS.Timeout | undefined;

  /** Will watch `historyFile` (and its -wal) once `watch()` is called, unless `enabled` is false. */
  constructor(historyFile: string, enabled = true, readonly intervalMs = 500) {
    this.#files = enabled ? [historyFile, `${historyFile}-wal`] : [];
  }

  /** Starts watching the journal (the server calls it once it listens, so a failed start leaves no watch behind). */
  watch(): void {
    for (const file of this.#files) watchFile(file, { interval: this.intervalMs, persistent: false }, this.#onStat);
  }

  /** The current change index (pages compare it with theirs). */
  get index(): number {
    return this.#index;
  }

  /** Moves only with the journal: what the outcome cache keys on. */
  get journalIndex(): number {
    return this.#journalIndex;
  }

  readonly #onStat = (now: Stats, before: Stats): void => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size && now.ino === before.ino) return;
    // A run writes both files within a moment: one wake for the pair.
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.journalChanged(), 50);
  };

  /** The journal changed. */
  journalChanged(): void {
    this.#journalIndex += 1;
    this.changed();
  }

  /** Something a page shows changed (the inventory, or the journal): wake the pages. */
  changed(): void {
    this.#index += 1;
    this.watches.release();
  }

  /** Stops watching; parked pages are answered now. */
  stop(): void {
    clearTimeout(this.#timer);
    for (const file of this.#files) unwatchFile(file, this.#onStat);
    this.watches.close();
  }
}
