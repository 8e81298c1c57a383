/**
 * A run's outcomes gathered as `muster run` shows them (identical results once,
 * with the folded list of the hosts that gave them), failures first: on a
 * page, what went wrong is what one opens it for. The report layer's `gather`
 * is not serve's to import; this is the same rule, said in a few lines.
 */
import { foldNodeset } from '../../core/nodeset.js';
import type { HistoryDetail } from '../../history/journal.js';
import { html, type Html } from './html.js';

type Outcome = HistoryDetail['outcomes'][number];

export interface Block {
  status: Outcome['status'];
  exitCode: number | null;
  stdout: string;
  stderr: string;
  message?: string;
  truncated?: string;
  hosts: string[];
}

/** Failures first, then changed, ok, skipped; the bigger block first within a status. */
export const statusRank: Readonly<Record<string, number>> = { failed: 0, timeout: 1, unreachable: 2, changed: 3, ok: 4, skipped: 5 };

/** Outcomes grouped by identical (status, exit code, stdout, stderr, message), in display order. */
export function gatherOutcomes(outcomes: readonly Outcome[]): Block[] {
  const blocks = new Map<string, Block>();
  for (const outcome of outcomes) {
    // The host's own name in its message ("web01: connection refused") would split blocks.
    const message = outcome.message?.split(outcome.host).join('HOST');
    const key = JSON.stringify([outcome.status, outcome.exitCode, outcome.stdout, outcome.stderr, message ?? null]);
    let block = blocks.get(key);
    if (!block) {
      block = { status: outcome.status, exitCode: outcome.exitCode, stdout: outcome.stdout, stderr: outcome.stderr, hosts: [], ...(message !== undefined ? { message } : {}) };
      blocks.set(key, block);
    }
    if (outcome.truncated !== undefined) block.truncated = outcome.truncated;
    block.hosts.push(outcome.host);
  }
  return [...blocks.values()].sort((a, b) => (statusRank[a.status] ?? 9) - (statusRank[b.status] ?? 9) || b.hosts.length - a.hosts.length);
}

/** Output text as lines; a diff's lines get classes (+, -, @@) so the page colours them. */
function outputLines(text: string, diff: boolean): Html {
  if (!diff) return html`${text}`;
  return html`${text.split('\n').map((line, i) => {
    const kind = /^(\+\+\+|---) /.test(line) ? 'dh' : line.startsWith('+') ? 'da' : line.startsWith('-') ? 'dd' : line.startsWith('@@') ? 'dc' : '';
    return html`${i > 0 ? '\n' : ''}${kind ? html`<span class="${kind}">${line}</span>` : line}`;
  })}`;
}

/** The blocks as markup: a header (folded hosts, count, status) and the output once. */
export function blocksHtml(blocks: readonly Block[], diff: boolean): Html {
  return html`${blocks.map((block) => {
    const status = `${block.status}${block.exitCode !== null && block.exitCode !== 0 ? `, exit ${block.exitCode}` : ''}${block.message ? `: ${block.message}` : ''}`;
    const empty = block.stdout === '' && block.stderr === '';
    return html`<section class="block o-${block.status}"><h3><code class="nodeset">${foldNodeset(block.hosts)}</code> <span class="n">(${block.hosts.length})</span> <span class="status">${status}</span></h3>
${block.stdout ? html`<pre class="out">${outputLines(block.stdout, diff)}</pre>` : ''}${block.stderr ? html`<pre class="err">${block.stderr}</pre>` : ''}${empty && block.status !== 'unreachable' && block.status !== 'skipped' ? html`<p class="dim">(no output)</p>` : ''}${block.truncated ? html`<p class="dim">(output cut: ${block.truncated})</p>` : ''}</section>`;
  })}`;
}
