import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SelectorError } from '../core/errors.js';
import { parseInventory } from './parse.js';
import { select } from './select.js';
import { maxSelectorDepth, parseSelector, type Step } from './selectorParse.js';

/** The program as words: atoms as written, `not` and the operators. */
function postfix(selector: string): string {
  const words = (steps: Step<string>[]): string[] => steps.map((step) => (step.kind === 'atom' ? step.atom : step.kind === 'not' ? 'not' : step.op));
  return words(parseSelector(selector, (word) => word)).join(' ');
}

test('left to right, parentheses, leading exclusions as complements (an even number cancels)', () => {
  assert.equal(postfix('a'), 'a');
  assert.equal(postfix('a,b&c!d'), 'a b , c & d !');
  assert.equal(postfix('web,(db&dc=tk1)'), 'web db dc=tk1 & ,');
  assert.equal(postfix('(a,(b&(c)))!d'), 'a b c & , d !');
  assert.equal(postfix('!a'), 'a not');
  assert.equal(postfix('!!a'), 'a');
  assert.equal(postfix('!!!a'), 'a not');
  assert.equal(postfix('a!!b'), 'a b not !');
  assert.equal(postfix('!(a,b)&c'), 'a b , not c &');
  assert.equal(postfix(' a , web[1-3,5] '), 'a web[1-3,5] ,');
});

test('no recursion: 100,000 atoms, 100,001 leading "!", parentheses exactly as deep as allowed', () => {
  const union = Array.from({ length: 100_000 }, (_, i) => `h${i}`).join(',');
  assert.equal(parseSelector(union, (word) => word).length, 199_999);
  assert.equal(postfix(`${'!'.repeat(100_001)}a`), 'a not');
  assert.equal(postfix(`${'('.repeat(maxSelectorDepth)}a${')'.repeat(maxSelectorDepth)}`), 'a');
  assert.equal(postfix(Array.from({ length: 50 }, () => '(a,').join('') + 'b' + ')'.repeat(50)), `${'a '.repeat(50)}b${' ,'.repeat(50)}`);
});

test('errors at the offending character; one parenthesis too many is one', () => {
  const cases: [string, number, RegExp][] = [
    ['', 0, /at the end/],
    ['a&(b', 2, /unclosed "\("/],
    ['a)', 1, /unmatched "\)"/],
    ['(a b)', 3, /expected "\)" here/],
    ['a,,b', 2, /before ","/],
    ['a b', 2, /unexpected "b"/],
    ['()', 1, /before "\)"/],
    ['!', 1, /at the end/],
    [`${'('.repeat(maxSelectorDepth + 1)}a${')'.repeat(maxSelectorDepth + 1)}`, maxSelectorDepth, /^parentheses nested more than 100 deep$/],
    [`a,${'('.repeat(5000)}`, 2 + maxSelectorDepth, /parentheses nested more than 100 deep/],
  ];
  for (const [selector, offset, reason] of cases) {
    assert.throws(() => parseSelector(selector, (word) => word), (error: unknown) => {
      assert.ok(error instanceof SelectorError, selector);
      assert.equal(error.offset, offset, selector.slice(0, 20));
      assert.match(error.reason, reason, selector.slice(0, 20));
      return true;
    });
  }
});

test('a long selector is quoted around the error only, the caret under the offending character', () => {
  const selector = `${Array.from({ length: 1000 }, (_, i) => `h${i}`).join(',')},,h1`;
  const error = new SelectorError(selector, selector.indexOf(',,') + 1, 'expected a role');
  const [first = '', shown = '', caret = ''] = error.message.split('\n');
  assert.equal(first, `Invalid selector: expected a role (at character ${selector.indexOf(',,') + 2} of ${selector.length})`);
  assert.ok(shown.length <= 2 + 82, shown);
  assert.equal(shown.slice(caret.indexOf('^') - 1, caret.indexOf('^') + 3), ',,h1');
  const start = new SelectorError(selector, 0, 'x').message.split('\n');
  assert.equal(start[1]?.slice(0, 5), '  h0,');
  assert.equal(start[2], '  ^');
});

const inventory = parseInventory([{ path: 'muster.yaml', text: `
states: [ok, stop]
skip_states: [stop]
roles: { web: {}, db: {} }
groups:
  everyone: "!nothing"
  nothing: "web&db"
hosts:
  web[1-3]: { roles: [web] }
  web4: { roles: [web], state: stop }
  db1: { roles: [db] }
` }]);

test('the stack evaluation means what the grammar says (clush: left to right)', () => {
  const names = (selector: string, allStates = false): string => select(inventory, [selector], { allStates }).hosts.map((host) => host.name).join(',');
  assert.equal(names('!web'), 'db1');
  assert.equal(names('!!web'), names('web'));
  assert.equal(names('web!!db'), names('web&db'));
  assert.equal(names('web,db&web1'), 'web1');
  assert.equal(names('web,(db&web1)'), 'web1,web2,web3');
  assert.equal(names('!(web1,db1)&web'), 'web2,web3');
  assert.equal(names('everyone'), 'web1,web2,web3,db1');
  assert.equal(names('everyone!web'), 'db1');
  // A host named by its name is never skipped, however many "!" are in front of it.
  assert.equal(names('!!web4'), 'web4');
  assert.equal(names('!!!(!web4)'), 'web4');
  assert.deepEqual(select(inventory, ['web']).skipped.map((host) => host.name), ['web4']);
});
