/**
 * The fleet page, `/ui/?q=SELECTOR`: every host (or those the selector picks)
 * as a small tile, grouped by its roles, its colour its last journaled outcome
 * and its border its state; counts per role and state; the folded list of what
 * is shown, to copy into a command. A selector that does not parse is shown
 * with the offending character marked, as the CLI points at it.
 */
import { SelectorError } from '../../core/errors.js';
import { foldNodeset } from '../../core/nodeset.js';
import { select } from '../../inventory/select.js';
import type { Host, Inventory } from '../../inventory/types.js';
import { html, query, segment, type Html } from './html.js';
import { factsLookup, readSeenAt, unseenAfterMs } from './facts.js';
import type { JournalView, LastOutcome } from './journalView.js';

/** The outcome classes, in the order the legend shows them. */
export const outcomeNames = ['ok', 'changed', 'failed', 'unreachable', 'timeout', 'skipped'] as const;

export interface FleetView {
  header: Html;
  main: Html;
  /** 400 for a bad selector, else 200. */
  status: number;
}

/** The filter box: a plain GET form, so it works with JS off. */
function filterForm(q: string, bad: boolean): Html {
  return html`<form class="filter" method="get" action="/ui/" role="search">
<label for="q">Selector</label> <input id="q" name="q" value="${q}" placeholder="web&amp;dc=tk1!web[001-003]" spellcheck="false" autocomplete="off"${bad ? html` aria-invalid="true" aria-describedby="selector-error"` : ''}>
<button type="submit">Filter</button>${q ? html` <a href="/ui/">clear</a>` : ''}</form>`;
}

/** The selector with the character at `offset` marked, and the reason: the CLI's caret, as markup. */
function selectorProblem(error: SelectorError): Html {
  const { selector, offset } = error;
  const at = Math.min(offset, selector.length);
  const mark = selector.slice(at, at + 1) || ' ';
  return html`<div class="error" id="selector-error" role="alert"><p>Invalid selector: ${error.reason} (character ${at + 1})</p>
<pre class="caret">${selector.slice(0, at)}<mark>${mark}</mark>${selector.slice(at + 1)}
${' '.repeat(at)}^</pre></div>`;
}

/** The class and title of a tile. */
function tile(host: Host, stateClass: string, last: LastOutcome | undefined, seen: Seen | undefined): Html {
  const outcome = last ? `o-${last.status}` : 'o-none';
  const seenText = seen === undefined ? '' : seen.at === undefined ? ' · never seen' : ` · last seen ${seen.at}`;
  const title = `${host.state}${last ? ` · ${last.status} in #${last.runId} ${last.command}` : ''}${seenText}${host.note ? ` · ${host.note}` : ''}`;
  return html`<a class="t ${outcome} ${stateClass}${seen?.gone ? ' gone' : ''}" href="/ui/hosts/${segment(host.name)}" title="${title}">${host.name}</a>`;
}

/** With agents: when a host last said its facts, and whether that is longer ago than `unseenAfterMs`. */
interface Seen {
  at: string | undefined;
  gone: boolean;
}

/** Each host's `Seen`, when the inventory has agents (their facts are kept under its state folder); else none. */
function seenOf(inventory: Inventory, hosts: readonly Host[]): (host: Host) => Seen | undefined {
  const state = inventory.agents?.state;
  if (state === undefined) return () => undefined;
  const now = Date.now();
  const seen = new Map(hosts.map((host) => {
    const at = readSeenAt(state, host.name);
    const age = at === undefined ? Infinity : now - Date.parse(at);
    return [host.name, { at, gone: !(age <= unseenAfterMs) }];
  }));
  return (host) => seen.get(host.name);
}

/**
 * The counts table: a column per role (and one for the whole of what is shown), a row per
 * state and the total. States are few and roles many, so the table grows sideways (scrolled
 * when wide) and the tiles stay near the top.
 */
function counts(inventory: Inventory, hosts: readonly Host[]): Html {
  const byRole = new Map<string, Map<string, number>>();
  const add = (role: string, state: string): void => {
    let column = byRole.get(role);
    if (!column) byRole.set(role, (column = new Map()));
    column.set(state, (column.get(state) ?? 0) + 1);
  };
  for (const host of hosts) {
    add('all shown', host.state);
    for (const role of host.roles.length > 0 ? host.roles : ['(no role)']) add(role, host.state);
  }
  const columns = [...byRole];
  const total = (column: Map<string, number>): number => [...column.values()].reduce((a, b) => a + b, 0);
  return html`<div class="scroll"><table class="counts"><caption>Hosts per role and state</caption>
<thead><tr><th scope="col">state</th>${columns.map(([role]) => html`<th scope="col">${role === 'all shown' || role === '(no role)' ? role
    : html`<a href="/ui/${query({ q: `role:${role}` })}">${role}</a>`}</th>`)}</tr></thead>
<tbody>${inventory.states.map((state) => html`<tr><th scope="row">${state}</th>${columns.map(([, column]) => html`<td>${column.get(state) ?? ''}</td>`)}</tr>`)}
<tr class="total"><th scope="row">total</th>${columns.map(([, column]) => html`<td>${total(column)}</td>`)}</tr></tbody></table></div>`;
}

/** The legend of colours (outcomes) and borders (states). */
function legend(inventory: Inventory, stateClass: (state: string) => string): Html {
  return html`<p class="legend">Last outcome: ${outcomeNames.map((name) => html`<span class="t o-${name}">${name}</span> `)}<span class="t o-none">no run</span>
 · State: ${inventory.states.map((state) => html`<span class="t o-none ${stateClass(state)}">${state}</span> `)}${inventory.agents?.state !== undefined ? html` · <span class="t o-none gone">not seen for 15m</span>` : ''}</p>`;
}

/** The fleet page for the query `q` (empty: every host). */
export function fleetPage(inventory: Inventory, journal: JournalView, q: string): FleetView {
  let hosts: readonly Host[] = inventory.hosts;
  let problem: Html | undefined;
  if (q.trim() !== '') {
    try {
      const state = inventory.agents?.state;
      hosts = select(inventory, [q], { allStates: true, ...(state !== undefined ? { facts: factsLookup(state) } : {}) }).hosts;
    } catch (error) {
      if (!(error instanceof SelectorError)) throw error;
      problem = selectorProblem(error);
      hosts = [];
    }
  }
  const skip = new Set(inventory.skipStates);
  const stateIndex = new Map(inventory.states.map((state, i) => [state, i]));
  const stateClass = (state: string): string => `s${Math.min(stateIndex.get(state) ?? 9, 9)}${skip.has(state) ? ' skip' : ''}`;
  const groups = new Map<string, Host[]>();
  for (const host of hosts) {
    const key = host.roles.length > 0 ? host.roles.join(' + ') : '(no role)';
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(host);
  }
  const folded = foldNodeset(hosts.map((host) => host.name));
  const seen = seenOf(inventory, hosts);
  const main = html`${problem}
<section class="summary" aria-label="Summary"><p><strong>${hosts.length}</strong> of ${inventory.hosts.length} hosts${q ? html` picked by <code>${q}</code>` : ''}.</p>
<p class="copy"><label for="nodeset">Hosts shown</label> <input id="nodeset" class="nodeset" readonly value="${folded}"> <button type="button" class="copy-button" data-copy="nodeset" hidden>Copy</button></p>
${counts(inventory, hosts)}${legend(inventory, stateClass)}</section>
${[...groups].map(([key, list]) => html`<section class="group" aria-label="${key}"><h2>${key} <span class="n">(${list.length})</span></h2>
<div class="tiles">${list.map((host) => tile(host, stateClass(host.state), journal.lastOutcome(host.name), seen(host)))}</div></section>`)}`;
  return { header: filterForm(q, problem !== undefined), main, status: problem ? 400 : 200 };
}
