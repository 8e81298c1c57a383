/**
 * A host's page, `/ui/hosts/{host}`: its fields and resolved vars with where
 * each came from (file:line:col and layer, as `muster show`), roles, state and
 * note, its stored facts when agents (or `muster facts`) gathered some, and its
 * outcome in the recent runs, output included.
 */
import { formatLocation } from '../../core/errors.js';
import type { Host, Inventory, Provenance, VarValue } from '../../inventory/types.js';
import { readHostFacts } from './facts.js';
import { html, query, segment, type Html } from './html.js';
import type { JournalView } from './journalView.js';

function shown(value: VarValue | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

function row(key: string, value: string, from: Provenance | undefined): Html {
  return html`<tr><th scope="row">${key}</th><td><code>${value}</code></td><td class="from">${from ? html`${formatLocation(from.at)} <span class="dim">(${from.layer})</span>` : ''}</td></tr>`;
}

function factsSection(inventory: Inventory, host: Host): Html {
  const state = inventory.agents?.state;
  const facts = state === undefined ? undefined : readHostFacts(state, host.name);
  if (!facts) return html`<section aria-labelledby="facts"><h2 id="facts">Facts</h2><p class="dim">${state === undefined ? 'No agents section in the inventory: no facts kept.' : 'No facts stored for this host yet.'}</p></section>`;
  return html`<section aria-labelledby="facts"><h2 id="facts">Facts</h2><p class="dim">via ${facts.via}, gathered ${facts.gatheredAt}, last seen ${facts.seenAt}</p>
<table class="kv"><tbody>${facts.rows.map(([key, value]) => html`<tr><th scope="row">${key}</th><td><code>${value}</code></td></tr>`)}</tbody></table></section>`;
}

/** The host's outcomes in the recent runs, newest first, each with its output. */
function runsSection(journal: JournalView, host: Host): Html {
  const rows: Html[] = [];
  for (const run of journal.runs) {
    if (rows.length >= 10) break;
    const outcome = journal.detail(run.id).outcomes.find((o) => o.host === host.name);
    if (!outcome) continue;
    rows.push(html`<details class="run o-${outcome.status}"${rows.length === 0 ? html` open` : ''}><summary><a href="/ui/runs/${run.id}">#${run.id}</a> ${run.startedAt} <code>${run.command} ${run.selector}</code> <span class="status">${outcome.status}${outcome.exitCode ? `, exit ${outcome.exitCode}` : ''}${outcome.message ? `: ${outcome.message}` : ''}</span></summary>
${outcome.stdout ? html`<pre class="out">${outcome.stdout}</pre>` : ''}${outcome.stderr ? html`<pre class="err">${outcome.stderr}</pre>` : ''}${!outcome.stdout && !outcome.stderr ? html`<p class="dim">(no output)</p>` : ''}</details>`);
  }
  return html`<section aria-labelledby="runs"><h2 id="runs">Recent runs</h2>${rows.length > 0 ? rows : html`<p class="dim">No journaled run has this host.</p>`}
<p><a href="/ui/runs${query({ host: host.name })}">All runs with this host</a></p></section>`;
}

/** The page's main part for `host`. */
export function hostPage(inventory: Inventory, journal: JournalView, host: Host): Html {
  const fixed = (['address', 'user', 'port', 'state', 'note'] as const).filter((key) => host[key] !== undefined);
  const last = journal.lastOutcome(host.name);
  return html`<h1>${host.name}</h1>
<p class="dim">defined at ${formatLocation(host.definedAt)}${last ? html` · last outcome <span class="t o-${last.status}">${last.status}</span> in <a href="/ui/runs/${last.runId}">#${last.runId}</a>` : ''}</p>
<p>Roles: ${host.roles.length > 0 ? host.roles.map((role, i) => html`${i > 0 ? ', ' : ''}<a href="/ui/${query({ q: `role:${role}` })}">${role}</a>`) : html`<span class="dim">(none)</span>`}</p>
<table class="kv" aria-label="Fields"><thead><tr><th scope="col">field</th><th scope="col">value</th><th scope="col">from</th></tr></thead>
<tbody>${fixed.map((key) => row(key, shown(host[key]), host.provenance[key]))}</tbody></table>
<h2>Vars</h2>${Object.keys(host.vars).length === 0 ? html`<p class="dim">(none)</p>` : html`<table class="kv" aria-label="Vars"><thead><tr><th scope="col">var</th><th scope="col">value</th><th scope="col">from</th></tr></thead>
<tbody>${Object.entries(host.vars).map(([key, value]) => row(key, shown(value), host.provenance[key]))}</tbody></table>`}
${factsSection(inventory, host)}${runsSection(journal, host)}
<p><a href="/ui/hosts/${segment(host.name)}" class="dim">permalink</a></p>`;
}
