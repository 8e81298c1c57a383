/**
 * A fast reader for the plain block-YAML an inventory is written in: block
 * mappings and sequences, plain and single-line quoted scalars, one-line flow
 * collections (`[a, b]`, `{ a: b }`), comments. It builds the very nodes the
 * `yaml` package builds (`YAMLMap`, `Pair`, `Scalar` with the same value, type,
 * source and range[0..1]; range[2], which yaml stretches over trailing comments,
 * and comments themselves are not reproduced: only the edit path reads them, and
 * it parses with yaml) in a `Document`, and the plain data `toJS` would make,
 * in one pass: about ten times faster than `parseDocument`, in a fraction of the
 * memory (no CST, no token objects).
 *
 * It never decides anything the `yaml` package would decide differently: at the
 * first thing outside that subset (anchors, tags, block scalars, multi-line
 * scalars, directives, tabs, odd indentation, any error at all) it gives up and
 * returns undefined, and the caller parses with `parseDocument`, so every YAML
 * error message and its place stay exactly what `yaml` says.
 */
import { Document, Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import { plainNode } from './coreScalars.js';
import { OutsideSubset, outside, plainEnd, quotedScalar } from './fastScalars.js';
import { leanMap, leanPair, leanResolved, leanSeq, setNodeEnd, valueEnd } from './leanNodes.js';

/** A text read by the fast path: the document (as `parseDocument` makes it) and its data (as `doc.toJS()` makes it). */
export interface FastYaml {
  doc: Document.Parsed;
  data: Record<string, unknown>;
}

type Node = Scalar | YAMLMap | YAMLSeq;
type Range = [number, number, number];

// Characters the fast path does not take anywhere: control characters, tabs, CR, BOM, other line breaks.
// eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
const unusual = /[\x00-\x09\x0b-\x1f\x7f\x85\u2028\u2029\ufeff]/;
const maxKeyLength = 1000; // yaml refuses implicit keys past 1024 characters

/**
 * Reads `text` if it is within the subset (see the file header), else
 * undefined. A result is exactly what `parseDocument(text, { uniqueKeys: false })`
 * and `doc.toJS()` would give, without errors, without a key repeated in one
 * mapping and without `__proto__` keys (both are left to yaml too).
 */
export function parseFastYaml(text: string): FastYaml | undefined {
  if (unusual.test(text)) return undefined;
  try {
    return new Scanner(text).document();
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined;
    throw error;
  }
}

class Scanner {
  private readonly end: number;
  /** Start of the current line, its indent and where its content starts; -1 at the end of the text. */
  private line = 0;
  private indent = 0;
  /** The data of the node the last node method returned (as toJS makes it): kept here, not in a tuple per node. */
  private data: unknown;

  constructor(private readonly text: string) {
    this.end = text.length;
  }

  document(): FastYaml {
    this.skipToContent(0);
    if (this.line < 0 || this.indent !== 0) outside();
    const root = this.blockMap(0);
    const data = this.data as Record<string, unknown>;
    const doc = new Document() as unknown as Document.Parsed;
    doc.contents = root as unknown as Document.Parsed['contents'];
    (doc as { range: [number, number, number] }).range = [0, this.end, this.end];
    return { doc, data };
  }

  /** Moves to the next line from `from` (a line start) that has content, setting line and indent; line -1 at the end. */
  private skipToContent(from: number): void {
    const { text, end } = this;
    let at = from;
    while (at < end) {
      let c = at;
      while (c < end && text.charCodeAt(c) === 32) c++;
      if (c < end && text.charCodeAt(c) !== 10 && text.charCodeAt(c) !== 35) {
        this.line = at;
        this.indent = c - at;
        if (this.indent === 0 && (text.startsWith('---', c) || text.startsWith('...', c))) outside();
        return;
      }
      const nl = text.indexOf('\n', c);
      at = nl < 0 ? end : nl + 1;
    }
    this.line = -1;
    this.indent = -1;
  }

  /** The block mapping whose keys start at column `indent`, the current line being its first. */
  private blockMap(indent: number): YAMLMap {
    const map = leanMap(false);
    const data: Record<string, unknown> = {};
    const start = this.line + indent;
    let last = start;
    while (this.line >= 0 && this.indent === indent) {
      const at = this.line + indent;
      if (this.isDash(at)) outside();
      const key = this.key(at);
      const keyText = key.value;
      // A colon, then a space or the end of the line (key() found it so).
      let p = valueEnd(key) + 1;
      p = this.skipSpaces(p);
      let value: Node;
      let js: unknown;
      const c = this.text.charCodeAt(p);
      if (p >= this.end || c === 10 || c === 35) {
        const eol = this.lineEnd(p);
        this.skipToContent(eol);
        if (this.line >= 0 && (this.indent > indent || (this.indent === indent && this.isDash(this.line + indent)))) {
          value = this.isDash(this.line + this.indent) ? this.blockSeq(this.indent, this.indent === indent) : this.blockMap(this.indent);
          js = this.data;
        } else {
          value = leanResolved(null, '', p, p);
          js = null;
        }
      } else {
        value = this.flowNode(p, false);
        js = this.data;
        const eol = this.afterValue(valueEnd(value));
        setNodeEnd(value, eol);
        this.skipToContent(eol);
        if (this.line >= 0 && this.indent > indent) outside(); // a multi-line scalar, or an error
      }
      map.items.push(leanPair(key, value));
      setKey(data, keyText, js);
      last = (value.range as Range)[2];
    }
    if (this.line >= 0 && this.indent > indent) outside();
    map.range = [start, last, last];
    this.data = data;
    return map;
  }

  /** The block sequence whose dashes are at column `indent`; `compact` when it is the value of a key at that same column. */
  private blockSeq(indent: number, compact: boolean): YAMLSeq {
    const seq = leanSeq(false);
    const data: unknown[] = [];
    const start = this.line + indent;
    let last = start;
    while (this.line >= 0 && this.indent === indent) {
      const at = this.line + indent;
      if (!this.isDash(at)) {
        if (compact) break;
        outside();
      }
      const p = this.skipSpaces(at + 1);
      const c = this.text.charCodeAt(p);
      if (p >= this.end || c === 10 || c === 35 || p === at + 1) outside(); // an empty or nested item
      const value = this.flowNode(p, false);
      const js = this.data;
      const end = valueEnd(value);
      if (this.text.charCodeAt(this.skipSpaces(end)) === 58) outside(); // `- key: value`
      const eol = this.afterValue(end);
      setNodeEnd(value, eol);
      this.skipToContent(eol);
      if (this.line >= 0 && this.indent > indent) outside();
      seq.items.push(value);
      data.push(js);
      last = eol;
    }
    seq.range = [start, last, last];
    this.data = data;
    return seq;
  }

  /** Whether a block sequence entry starts at `at`: a dash, then a space or the end of the line. */
  private isDash(at: number): boolean {
    if (this.text.charCodeAt(at) !== 45) return false;
    const next = this.text.charCodeAt(at + 1);
    return at + 1 >= this.end || next === 32 || next === 10;
  }

  /** A block mapping's key at `at`: a plain or quoted scalar followed by `:` and a space or the end of the line. */
  private key(at: number): Scalar<string> {
    const { text } = this;
    const first = text.charCodeAt(at);
    let node: Scalar;
    if (first === 34 || first === 39) {
      node = quotedScalar(this.text, this.end, at);
    } else {
      const stop = plainEnd(this.text, this.end, at, false);
      node = plainNode(text.slice(at, stop), at, stop);
    }
    const colon = valueEnd(node);
    const after = text.charCodeAt(colon + 1);
    if (text.charCodeAt(colon) !== 58 || !(colon + 1 >= this.end || after === 32 || after === 10)) outside();
    if (typeof node.value !== 'string' || colon - at > maxKeyLength) outside();
    setNodeEnd(node, colon);
    return node as Scalar<string>;
  }

  /** A scalar or one-line flow collection at `at`; in a flow collection when `flow`. */
  private flowNode(at: number, flow: boolean): Node {
    const c = this.text.charCodeAt(at);
    if (c === 91) return this.flowSeq(at);
    if (c === 123) return this.flowMap(at);
    let node: Scalar;
    if (c === 34 || c === 39) node = quotedScalar(this.text, this.end, at);
    else {
      const stop = plainEnd(this.text, this.end, at, flow);
      node = plainNode(this.text.slice(at, stop), at, stop);
    }
    this.data = node.value;
    return node;
  }

  private flowSeq(at: number): YAMLSeq {
    const seq = leanSeq(true);
    const data: unknown[] = [];
    let p = this.skipSpaces(at + 1);
    if (this.text.charCodeAt(p) !== 93) {
      for (;;) {
        const item = this.flowNode(p, true);
        const js = this.data;
        seq.items.push(item);
        data.push(js);
        p = this.flowItemEnd(item);
        const c = this.text.charCodeAt(p);
        if (c === 93) break;
        if (c !== 44) outside();
        p = this.skipSpaces(p + 1);
        if (this.text.charCodeAt(p) === 93) outside(); // a trailing comma
      }
    }
    seq.range = [at, p + 1, p + 1];
    this.data = data;
    return seq;
  }

  private flowMap(at: number): YAMLMap {
    const map = leanMap(true);
    const data: Record<string, unknown> = {};
    let p = this.skipSpaces(at + 1);
    if (this.text.charCodeAt(p) !== 125) {
      for (;;) {
        const key = this.flowNode(p, true);
        if (!(key instanceof Scalar) || typeof key.value !== 'string') outside();
        const colon = valueEnd(key);
        const after = this.text.charCodeAt(colon + 1);
        if (this.text.charCodeAt(colon) !== 58 || after !== 32) outside();
        setNodeEnd(key, colon);
        const value = this.flowNode(this.skipSpaces(colon + 1), true);
        const js = this.data;
        map.items.push(leanPair(key, value));
        setKey(data, key.value, js);
        p = this.flowItemEnd(value);
        const c = this.text.charCodeAt(p);
        if (c === 125) break;
        if (c !== 44) outside();
        p = this.skipSpaces(p + 1);
        if (this.text.charCodeAt(p) === 125) outside();
      }
    }
    map.range = [at, p + 1, p + 1];
    this.data = data;
    return map;
  }

  /** After an item of a flow collection: its range[2] takes the spaces up to the next indicator, returned. */
  private flowItemEnd(item: Node): number {
    const p = this.skipSpaces(valueEnd(item));
    if (item instanceof Scalar) setNodeEnd(item, p);
    return p;
  }

  private skipSpaces(from: number): number {
    let p = from;
    while (this.text.charCodeAt(p) === 32) p++;
    return p;
  }

  /** After a value ends at `p` on its line: spaces, maybe a comment (after a space), then the line's end; the next line's start. */
  private afterValue(p: number): number {
    const q = this.skipSpaces(p);
    const c = this.text.charCodeAt(q);
    if (q >= this.end) return this.end;
    if (c === 10) return q + 1;
    if (c === 35 && q > p) return this.lineEnd(q);
    return outside();
  }

  /** The start of the line after the one holding `p` (the text's end on the last line). */
  private lineEnd(p: number): number {
    const nl = this.text.indexOf('\n', p);
    return nl < 0 ? this.end : nl + 1;
  }
}

/**
 * Sets a key of a mapping's data. A key written twice, or `__proto__`, is left to
 * yaml (and the inventory's own key check, which names both places): so what
 * the fast path returns needs no key check.
 */
function setKey(data: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__' || Object.hasOwn(data, key)) outside();
  data[key] = value;
}
