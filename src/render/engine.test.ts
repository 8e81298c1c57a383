import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidFileError } from '../core/errors.js';
import { renderTemplate, templateContext } from './engine.js';
import { fixtureInventory } from './fixture.test-helper.js';

const inventory = fixtureInventory();
const context = templateContext(inventory);

function render(source: string, ctx: object = context, file = 'inline.liquid'): string {
  return renderTemplate(source, ctx, { file });
}

function failure(source: string, ctx: object = context, file = 'inline.liquid'): InvalidFileError {
  try {
    render(source, ctx, file);
  } catch (error) {
    assert.ok(error instanceof InvalidFileError, `expected InvalidFileError, got ${String(error)}`);
    return error;
  }
  assert.fail(`rendered without error: ${source}`);
}

test('hosts, roles and per-host fields are in the context', () => {
  assert.equal(render('{{ hosts["web002.example.lan"].address }}'), '127.0.0.12');
  assert.equal(render('{{ hosts["web002.example.lan"].http_port }}/{{ hosts["web002.example.lan"].vars.http_port }}'), '8080/8080');
  assert.equal(render('{{ roles.web.hosts | fold }}'), 'web[001-003].example.lan');
  assert.equal(render('{{ roles.web.vars.vip }} {{ roles.web.description }}'), '127.0.0.100 Apache front ends');
  assert.equal(render('{{ groups.tokyo.selector }}: {{ groups.tokyo.hosts | fold }}'), 'dc=tk1: web[001-002].example.lan');
  assert.equal(render('{{ states | join: "," }} {{ host_list | size }} {{ hosts["db1.example.lan"] }}'), 'ok,warn,stop 4 db1.example.lan');
  const one = templateContext(inventory, inventory.hostsByName.get('db1.example.lan'));
  assert.equal(render('{{ host.name }} {{ host.state }} {{ host.roles | join: "," }} {{ host.note }}', one), 'db1.example.lan stop db disk replaced');
});

test('a var named like a fixed field does not shadow the field; it stays under .vars', () => {
  const web1 = templateContext(inventory, inventory.hostsByName.get('web001.example.lan'));
  assert.equal(render('{{ host.name }} / {{ host.vars.name }}', web1), 'web001.example.lan / shadow');
});

test('muster filters: fold, shquote, sort_by, names, addresses, to_json, to_yaml, select', () => {
  assert.equal(render('{{ host_list | names | join: " " }}'), 'web001.example.lan web002.example.lan web003.example.lan db1.example.lan');
  assert.equal(render('{{ roles.web.hosts | addresses | join: " " }}'), '127.0.0.11 127.0.0.12 127.0.0.13');
  assert.equal(render('{{ "it\'s $(rm -rf /)" | shquote }}'), `'it'\\''s $(rm -rf /)'`);
  assert.equal(render('{{ roles.web.hosts | sort_by: "vars.rank" | names | join: "," }}'), 'web003.example.lan,web001.example.lan,web002.example.lan');
  assert.equal(render('{{ "web10,web9,web1" | split: "," | sort_by | join: "," }}'), 'web1,web9,web10');
  assert.equal(render('{{ hosts["db1.example.lan"].roles | to_json }}'), '["db"]');
  assert.equal(render('{{ roles.web.vars | to_yaml }}'), 'http_port: 80\nvip: 127.0.0.100\nvrrp_router_id: 51');
  assert.equal(render('{% assign webs = "web" | select %}{{ webs | fold }}'), 'web[001-003].example.lan');
  // db1 is in a skip state: dropped from `all` unless `select: true`.
  assert.equal(render('{{ "all" | select | fold }}'), 'web[001-003].example.lan');
  assert.equal(render('{{ "all" | select: true | size }}'), '4');
  assert.equal(render('{% assign by_state = host_list | group_by: "state" %}{% for g in by_state %}{{ g.name }}={{ g.items | size }};{% endfor %}'), 'ok=3;stop=1;');
});

test('an undefined variable is an error at file:line:col, never an empty string', () => {
  const error = failure('line one\n  {{ hosts["web001.example.lan"].nope }}\n', context, 'site/web.conf.liquid');
  assert.match(error.message, /site\/web\.conf\.liquid:2:6: undefined variable: hosts\.web001\.example\.lan\.nope$/);
  assert.deepEqual(error.problems[0]?.at, { file: 'site/web.conf.liquid', line: 2, col: 6 });
  // `if` on a missing var is lenient (false), output is not.
  assert.equal(render('{% if host_list[0].vars.nope %}yes{% else %}no{% endif %}'), 'no');
});

test('a bad template and an unknown filter fail with their location', () => {
  assert.match(failure('a\nb {% if x %}\n', context, 't.liquid').message, /t\.liquid:2:3: .*if/);
  assert.match(failure('{{ 1 | frobnicate }}', context, 't.liquid').message, /t\.liquid:1:1: .*undefined filter: frobnicate/);
  assert.match(failure('{{ "nope&&" | select }}', context, 't.liquid').message, /t\.liquid:1:1: /);
});

test('templates cannot reach the process, prototypes or constructors', () => {
  assert.match(failure('{{ process }}').message, /undefined variable: process/);
  assert.match(failure('{{ process.env.HOME }}').message, /undefined variable: process/);
  assert.match(failure('{{ "x" | constructor }}').message, /undefined filter: constructor/);
  assert.match(failure('{{ hosts.constructor }}').message, /undefined variable: hosts\.constructor/);
  assert.match(failure('{{ host_list.constructor.constructor }}').message, /undefined variable/);
  assert.match(failure('{{ hosts["__proto__"] }}').message, /undefined variable/);
  assert.match(failure('{{ roles.web.name.constructor }}').message, /undefined variable/);
  assert.match(failure('{{ global }}{{ require }}').message, /undefined variable: global/);
});

test('includes: only files inside the template folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'muster-render-'));
  mkdirSync(join(dir, 'tpl', 'parts'), { recursive: true });
  writeFileSync(join(dir, 'tpl', 'parts', 'head.liquid'), '# {{ title }}');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  const file = join(dir, 'tpl', 'main.liquid');
  assert.equal(render('{% include "parts/head.liquid", title: "hi" %}', context, file), '# hi');
  assert.equal(render('{% render "./parts/head.liquid", title: "hi" %}', context, file), '# hi');
  assert.match(failure('{% include "../secret.txt" %}', context, file).message, /main\.liquid:1:1: .*Failed to lookup/);
  assert.match(failure('{% include "/etc/passwd" %}', context, file).message, /Failed to lookup/);
  assert.match(failure(`{% include "${dir}/secret.txt" %}`, context, file).message, /Failed to lookup/);
  assert.match(failure('{% include "parts/missing.liquid" %}', context, file).message, /Failed to lookup/);
  // An error inside an included file points into that file.
  writeFileSync(join(dir, 'tpl', 'parts', 'bad.liquid'), 'ok\n{{ undefined_thing }}');
  const inner = failure('{% include "parts/bad.liquid" %}', context, file);
  assert.match(inner.message, /parts\/bad\.liquid:2:4: undefined variable: undefined_thing/);
});
