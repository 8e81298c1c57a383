import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Problem } from '../core/errors.js';
import { expandHosts } from './expandHosts.js';
import { parseFastYaml } from './fastYaml.js';
import { readInventoryFile } from './inventoryFile.js';
import { mergeFiles } from './mergeFiles.js';
import { defaultStates } from './parse.js';

const repo = resolve(import.meta.dirname, '../..');

/** What the pipeline makes of one file (problems, hosts with provenance, roles, groups), read by the fast path or by yaml alone. */
function pipeline(text: string, fast: boolean): unknown {
  const problems: Problem[] = [];
  const file = readInventoryFile({ path: 'muster.yaml', text }, problems, { fast });
  if (!file) return { problems };
  const merged = mergeFiles([file], problems);
  const states = merged.statesKnown ? (merged.states?.value ?? defaultStates) : undefined;
  const hosts = expandHosts([file], merged, states, states?.[0] ?? 'ok', problems);
  return { problems, hosts, data: file.data, broken: [...file.broken], declared: [...file.declaredRoles], roles: [...merged.roles], groups: [...merged.groups], checks: [...merged.checks] };
}

function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
}

const base = readFileSync(join(repo, 'src', 'serve', 'testdata', 'fleet.yaml'), 'utf8');

test('the fast path and yaml give the same problems, hosts and provenance for the test fleets', () => {
  for (const dir of ['bindings', 'render', 'serve']) {
    const text = readFileSync(join(repo, 'src', dir, 'testdata', 'fleet.yaml'), 'utf8');
    assert.ok(parseFastYaml(text), `${dir}: the fast path must take it, or this compares yaml with itself`);
    assert.deepEqual(pipeline(text, true), pipeline(text, false), dir);
  }
});

test('inventories broken in the ways people break them: the same problems at the same places either way', () => {
  const next = random(7);
  const lines = base.trimEnd().split('\n');
  // Wrong for the schema or for the inventory's own checks, but still YAML the fast path takes: a host's
  // field (put under a host), a host (put at the end, where `hosts:` is), a top-level key (put in place of its own).
  const fields = ['    port: abc', '    bogus: 1', '    roles: [nope]', '    state: lost', '    address: 127.0.1.11', '    port: 70000', '    note: 12', '    user: 3', '    address: 10.0.0.[1-2]'];
  const hosts = ['  web001.example.lan: {}', '  "bad name!": {}', '  web[1-3]: { address: "10.0.0.[1-2]" }', '  web[001-003].example.lan: { roles: [web] }', '  x[1-2]: { address: 127.0.1.11 }', '  db2: { roles: [db, web], vars: { http_port: [1] } }'];
  const tops = ['groups: { x: "nope&", y: "web&!db" }', 'states: [ok, ok2]', 'defaults: { port: 23, user: [x] }', 'skip_states: [gone]', 'roles: { web: { vars: 3 } }', 'version: 2'];
  const hostLines = lines.flatMap((line, i) => (/^ {2}\S.*:$/.test(line) && i > lines.indexOf('hosts:') ? [i] : []));
  let fastTaken = 0;
  let problemsSeen = 0;
  for (let i = 0; i < 300; i++) {
    const edited = [...lines];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
      const kind = next();
      if (kind < 0.4) edited.splice(pick(hostLines) + 1, 0, pick(fields));
      else if (kind < 0.7) edited.push(pick(hosts));
      else {
        const top = pick(tops);
        const at = edited.findIndex((line) => line.startsWith(top.split(':')[0] ?? ''));
        // Its own line, and the lines of the block under it (they would be an error of indentation, not of schema).
        let until = at + 1;
        while (until < edited.length && /^\s/.test(edited[until] ?? '')) until++;
        if (at >= 0) edited.splice(at, until - at, top);
      }
    }
    const text = edited.join('\n');
    if (parseFastYaml(text)) fastTaken++;
    const fast = pipeline(text, true);
    assert.deepEqual(fast, pipeline(text, false), text);
    if ((fast as { problems: Problem[] }).problems.length > 0) problemsSeen++;
  }
  assert.ok(fastTaken > 150 && problemsSeen > 200, `fast path took ${fastTaken}, problems in ${problemsSeen}`);
});
