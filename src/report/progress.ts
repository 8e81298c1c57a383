/**
 * The progress line shown on a TTY while a run goes on (stderr, rewritten in place
 * with `\r`, at most every `intervalMs`): `[ 37/100] 35 ok, 2 failed · 12 running`.
 */
import type { RunEvent } from '../run/events.js';
import { assertNever } from '../run/events.js';
import type { Status } from '../run/outcome.js';
import { statusOrder } from './gather.js';

export interface ProgressOptions {
  /** Where the line goes; only its `write` and `columns` are used. */
  stream: { write(text: string): unknown; columns?: number };
  /** How many hosts the run has. */
  total: number;
  /** Minimum time between redraws; default 100 ms. */
  intervalMs?: number;
  /** A clock, for tests; default `Date.now`. */
  now?: () => number;
}

/**
 * Follows run events and redraws the progress line, throttled without timers (a
 * redraw happens on an event at least `intervalMs` after the last one, and always
 * for the last host). `clear()` erases the line before the report is printed.
 */
export class Progress {
  private readonly counts = new Map<Status, number>();
  private running = 0;
  private done = 0;
  private readonly total: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(private readonly options: ProgressOptions) {
    this.total = options.total;
    this.intervalMs = options.intervalMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** Feeds one engine event. */
  onEvent(event: RunEvent): void {
    switch (event.type) {
      case 'batch-started':
        return;
      case 'host-started':
        this.running += 1;
        break;
      case 'host-connected':
      case 'output':
        return;
      case 'host-done':
        this.done = event.done;
        this.running = Math.max(0, this.running - 1);
        this.counts.set(event.outcome.status, (this.counts.get(event.outcome.status) ?? 0) + 1);
        break;
      case 'aborted':
        return;
      default:
        assertNever(event);
    }
    this.draw(this.done === this.total && this.total > 0);
  }

  /** The line as it would be drawn now. */
  line(): string {
    const width = String(this.total).length;
    const parts = statusOrder.filter((status) => (this.counts.get(status) ?? 0) > 0).map((status) => `${this.counts.get(status)} ${status}`);
    const running = this.running > 0 ? ` · ${this.running} running` : '';
    return `[${String(this.done).padStart(width)}/${this.total}] ${parts.join(', ') || 'starting'}${running}`;
  }

  /** Erases the progress line, if one was drawn. */
  clear(): void {
    if (this.drawn) this.options.stream.write('\r\u001b[K');
    this.drawn = false;
  }

  private draw(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastDraw < this.intervalMs) return;
    this.lastDraw = now;
    // A pseudo-terminal may report 0 columns: treat it as unknown.
    const columns = this.options.stream.columns || 80;
    this.options.stream.write(`\r\u001b[K${this.line().slice(0, Math.max(10, columns - 1))}`);
    this.drawn = true;
  }
}
