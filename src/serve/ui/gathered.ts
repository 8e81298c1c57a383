/**
 * A run's outcomes gathered as `muster run` shows them (report/gather.ts:
 * identical results once, with the folded list of the hosts that gave them),
 * failures first: on a page, what went wrong is what one opens it for.
 */
import { foldNodeset } from '../../core/nodeset.js';
import type { HistoryDetail } from '../../history/journal.js';
import { gather, type Block } from '../../report/gather.js';
import { html, type Html } from './html.js';

type Outcome = HistoryDetail['outcomes'][number];

/** Failures first, then changed, ok, skipped; the bigger block first within a status. */
export const statusRank: Readonly<Record<string, number>> = { failed: 0, timeout: 1, unreachable: 2, changed: 3, ok: 4, skipped: 5 };

/** Outcomes grouped by identical (status, exit code, stdout, stderr, message), failures first. */
export function gatherOutcomes(outcomes: readonly Outcome[]): Block[] {
  return gather(outcomes).sort((a, b) => (statusRank[a.status] ?? 9) - (statusRank[b.status] ?? 9) || b.count - a.count);
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
