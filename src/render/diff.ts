/**
 * A unified diff of two texts, for `render --check`: Myers' O(ND) algorithm on
 * lines after trimming the common head and tail, which keeps the usual case — a
 * few changed lines in a long generated file — fast. Written here rather than
 * pulling a dependency because it is this one small function.
 */

type Edit = { kind: ' ' | '-' | '+'; line: string };

/** Past this many differing lines, report the middle as replaced wholesale instead of searching further. */
const maxEdits = 4000;

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The shortest edit script between a and b (Myers), or undefined past maxEdits. */
function myers(a: string[], b: string[]): Edit[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number))
        ? (v[offset + k + 1] as number)
        : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace, offset, d);
    }
  }
  return undefined;
}

function backtrack(a: string[], b: string[], trace: Int32Array[], offset: number, last: number): Edit[] {
  const edits: Edit[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = last; d >= 0; d--) {
    const v = trace[d] as Int32Array;
    const k = x - y;
    const down = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : (v[offset + prevK] as number);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      edits.push({ kind: ' ', line: a[x] as string });
    }
    if (d > 0) {
      if (down) edits.push({ kind: '+', line: b[--y] as string });
      else edits.push({ kind: '-', line: a[--x] as string });
    }
  }
  return edits.reverse();
}

/**
 * A unified diff (`---`/`+++` headers, `@@` hunks with `context` lines around
 * each change) from `before` to `after`, or '' when they are equal.
 */
export function unifiedDiff(before: string, after: string, labels: { before: string; after: string }, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const middle = myers(midA, midB) ?? [...midA.map((line) => ({ kind: '-' as const, line })), ...midB.map((line) => ({ kind: '+' as const, line }))];
  const edits: Edit[] = [
    ...a.slice(0, head).map((line) => ({ kind: ' ' as const, line })),
    ...middle,
    ...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })),
  ];
  const out = [`--- ${labels.before}`, `+++ ${labels.after}`];
  // Group changes closer than 2*context lines into one hunk.
  let i = 0;
  let lineA = 1;
  let lineB = 1;
  const positions = edits.map((edit) => {
    const at = { a: lineA, b: lineB };
    if (edit.kind !== '+') lineA++;
    if (edit.kind !== '-') lineB++;
    return at;
  });
  while (i < edits.length) {
    while (i < edits.length && (edits[i] as Edit).kind === ' ') i++;
    if (i >= edits.length) break;
    const start = Math.max(0, i - context);
    let end = i;
    let quiet = 0;
    for (let j = i; j < edits.length; j++) {
      if ((edits[j] as Edit).kind === ' ') {
        quiet++;
        if (quiet > 2 * context) break;
      } else {
        quiet = 0;
        end = j;
      }
    }
    const stop = Math.min(edits.length, end + 1 + context);
    const hunk = edits.slice(start, stop);
    const first = positions[start] as { a: number; b: number };
    const countA = hunk.filter((edit) => edit.kind !== '+').length;
    const countB = hunk.filter((edit) => edit.kind !== '-').length;
    out.push(`@@ -${countA === 0 ? first.a - 1 : first.a},${countA} +${countB === 0 ? first.b - 1 : first.b},${countB} @@`);
    for (const edit of hunk) out.push(`${edit.kind}${edit.line}`);
    i = stop;
  }
  if (before.endsWith('\n') !== after.endsWith('\n')) out.push(`# the files differ in their final newline`);
  return `${out.join('\n')}\n`;
}
