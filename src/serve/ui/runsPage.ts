/**
 * The runs pages: `/ui/runs?host=H&command=C`, the journal's recent runs
 * (filtered by a host that took part and by command), and `/ui/runs/{id}`, one
 * run's gathered output (failures first); a `diff` run's blocks are its groups
 * of hosts with the same diff, coloured line by line.
 */
import { shellJoin } from '../../core/shell.js';
import type { HistoryRun } from '../../history/journal.js';
import { html, query, type Html } from './html.js';
import { blocksHtml, gatherOutcomes } from './gathered.js';
import type { JournalView } from './journalView.js';

function countsText(run: HistoryRun): string {
  return Object.entries(run.counts).map(([status, n]) => `${n} ${status}`).join(', ');
}

function worst(run: HistoryRun): string {
  for (const status of ['failed', 'timeout', 'unreachable', 'changed', 'ok', 'skipped'] as const) if (run.counts[status]) return status;
  return 'none';
}

/** The runs list's main part. */
export function runsPage(journal: JournalView, filter: { host: string; command: string }): { header: Html; main: Html } {
  const commands = [...new Set(journal.runs.map((run) => run.command))].sort();
  const runs = journal.runs.filter((run) => (filter.command === '' || run.command === filter.command)
    && (filter.host === '' || journal.detail(run.id).outcomes.some((outcome) => outcome.host === filter.host)));
  const header = html`<form class="filter" method="get" action="/ui/runs" role="search">
<label for="host">Host</label> <input id="host" name="host" value="${filter.host}" spellcheck="false" autocomplete="off">
<label for="command">Command</label> <select id="command" name="command"><option value="">any</option>${commands.map((name) => html`<option${name === filter.command ? html` selected` : ''}>${name}</option>`)}</select>
<button type="submit">Filter</button></form>`;
  const main = html`<h1>Runs</h1><p class="dim">${runs.length} of the ${journal.runs.length} newest journaled runs.</p>
${runs.length === 0 ? html`<p>No runs${filter.host || filter.command ? ' match' : ' journaled yet'}.</p>` : html`<table class="runs"><thead><tr><th scope="col">#</th><th scope="col">when</th><th scope="col">who</th><th scope="col">command</th><th scope="col">hosts</th><th scope="col">summary</th></tr></thead>
<tbody>${runs.map((run) => html`<tr class="o-${worst(run)}"><td><a href="/ui/runs/${run.id}${query({ host: filter.host })}">#${run.id}</a></td><td>${run.startedAt}</td><td>${run.user}</td><td><code>${shellJoin(run.argv.length > 0 ? run.argv : [run.command, run.selector])}</code></td><td>${run.hosts}</td><td>${run.summary || countsText(run)}</td></tr>`)}</tbody></table>`}`;
  return { header, main };
}

/** Runs whose output blocks are diffs (drift's are each host's part of the fleet view: paths off and their diffs). */
const diffRuns = new Set(['diff', 'drift', 'converge --check']);

/** One run's main part; `host` (a name part) narrows it to the hosts whose name holds it. */
export function runPage(journal: JournalView, id: number, host: string): { header: Html; main: Html } {
  const run = journal.detail(id);
  const outcomes = host === '' ? run.outcomes : run.outcomes.filter((outcome) => outcome.host.includes(host));
  const header = html`<form class="filter" method="get" action="/ui/runs/${id}" role="search">
<label for="host">Hosts whose name holds</label> <input id="host" name="host" value="${host}" spellcheck="false" autocomplete="off"> <button type="submit">Filter</button>${host ? html` <a href="/ui/runs/${id}">all hosts</a>` : ''}</form>`;
  const main = html`<h1>Run #${run.id} <code>${run.command}</code></h1>
<p><code>muster ${shellJoin(run.argv)}</code></p>
<p class="dim">${run.startedAt} · ${run.durationMs} ms · by ${run.user} on ${run.machine} · exit ${run.exitCode}</p>
<p>${run.summary || countsText(run)}${host ? html` · showing ${outcomes.length} of ${run.outcomes.length} hosts` : ''}</p>
${blocksHtml(gatherOutcomes(outcomes), diffRuns.has(run.command))}`;
  return { header, main };
}
