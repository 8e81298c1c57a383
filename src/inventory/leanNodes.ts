/**
 * `yaml` nodes made cheaply, for the fast path (fastYaml.ts): real instances of
 * `Scalar`, `Pair`, `YAMLMap` and `YAMLSeq` (their methods, `instanceof` and
 * yaml's `isScalar`/`isMap`/… all work), but with the node-type mark on the
 * prototype instead of an own property defined per node by `Object.defineProperty`,
 * and a scalar's range kept as two numbers, read through a `range` getter,
 * instead of an array per node; a string's type and source (its value) come
 * from its prototype too. At 96,000 hosts (3.5 million scalars) that is
 * about 300 MB and seconds of GC less.
 *
 * The contract: these nodes are read, never edited (the edit path parses with
 * yaml itself). `range` is a fresh array at each read, [start, end, end]:
 * range[2] does not stretch over trailing comments as yaml's does.
 */
import { Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';

/** The symbol yaml marks a node's kind with (`Symbol.for('yaml.node.type')`, as yaml's identity.js defines it). */
const nodeType = Symbol.for('yaml.node.type');

/** A prototype under `base` carrying the node-type mark of `probe` (a node yaml made), so instances need none of their own. */
function markedPrototype(base: object, probe: object, extra: PropertyDescriptorMap = {}): object {
  const mark = (probe as Record<symbol, unknown>)[nodeType];
  if (typeof mark !== 'symbol') throw new Error('yaml no longer marks nodes with Symbol.for("yaml.node.type")');
  return Object.create(base, { [nodeType]: { value: mark }, ...extra }) as object;
}

interface LeanScalarFields {
  value: unknown;
  start: number;
  end: number;
}

// A scalar's range is [start, end, end]: yaml's range[2] (which takes in trailing spaces, comments
// and the line break) is not kept; nothing reading these nodes uses it.
const range: PropertyDescriptor = {
  get(this: LeanScalarFields): [number, number, number] {
    return [this.start, this.end, this.end];
  },
};
const scalarProbe = new Scalar(null);
/** Strings (plain or quoted): their source is their value, as yaml sets it; their type is their prototype's. */
const stringPrototypes: Record<'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE', object> = {
  PLAIN: markedPrototype(Scalar.prototype, scalarProbe, { range, type: { value: 'PLAIN', writable: true }, source: { get(this: LeanScalarFields) { return this.value; } } }),
  QUOTE_DOUBLE: markedPrototype(Scalar.prototype, scalarProbe, { range, type: { value: 'QUOTE_DOUBLE', writable: true }, source: { get(this: LeanScalarFields) { return this.value; } } }),
  QUOTE_SINGLE: markedPrototype(Scalar.prototype, scalarProbe, { range, type: { value: 'QUOTE_SINGLE', writable: true }, source: { get(this: LeanScalarFields) { return this.value; } } }),
};
/** Plain scalars the core schema resolves to something else (null, a bool, a number): their source is their own. */
const resolvedPrototype = markedPrototype(Scalar.prototype, scalarProbe, { range, type: { value: 'PLAIN', writable: true } });

// yaml's collections define `schema` as an own property; on the prototype it reads the same (undefined).
const mapPrototype = markedPrototype(YAMLMap.prototype, new YAMLMap(), { schema: { value: undefined, writable: true } });
const seqPrototype = markedPrototype(YAMLSeq.prototype, new YAMLSeq(), { schema: { value: undefined, writable: true } });
const pairPrototype = markedPrototype(Pair.prototype, new Pair(null));

function LeanString(this: LeanScalarFields, value: string, start: number, end: number): void {
  this.value = value;
  this.start = start;
  this.end = end;
}
function LeanResolved(this: LeanScalarFields & { source: string }, value: unknown, source: string, start: number, end: number): void {
  this.value = value;
  this.source = source;
  this.start = start;
  this.end = end;
}
LeanResolved.prototype = resolvedPrototype;

function LeanPair(this: { key: unknown; value: unknown }, key: unknown, value: unknown): void {
  this.key = key;
  this.value = value;
}
LeanPair.prototype = pairPrototype;

function LeanCollection(this: { items: unknown[]; range: [number, number, number] | undefined; flow: boolean | undefined }, flow: boolean | undefined): void {
  this.items = [];
  this.range = undefined;
  this.flow = flow;
}
function LeanMap(this: ThisParameterType<typeof LeanCollection>, flow: boolean | undefined): void {
  LeanCollection.call(this, flow);
}
LeanMap.prototype = mapPrototype;
function LeanSeq(this: ThisParameterType<typeof LeanCollection>, flow: boolean | undefined): void {
  LeanCollection.call(this, flow);
}
LeanSeq.prototype = seqPrototype;

type StringNode = new (value: string, start: number, end: number) => Scalar;
const ResolvedNode = LeanResolved as unknown as new (value: unknown, source: string, start: number, end: number) => Scalar;
const StringNodes = {
  PLAIN: function (this: LeanScalarFields, value: string, start: number, end: number) { LeanString.call(this, value, start, end); },
  QUOTE_DOUBLE: function (this: LeanScalarFields, value: string, start: number, end: number) { LeanString.call(this, value, start, end); },
  QUOTE_SINGLE: function (this: LeanScalarFields, value: string, start: number, end: number) { LeanString.call(this, value, start, end); },
};
for (const type of ['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE'] as const) StringNodes[type].prototype = stringPrototypes[type];
const PairNode = LeanPair as unknown as new (key: Scalar, value: unknown) => Pair;
const MapNode = LeanMap as unknown as new (flow: boolean | undefined) => YAMLMap;
const SeqNode = LeanSeq as unknown as new (flow: boolean | undefined) => YAMLSeq;

/** A string scalar (plain or quoted) from `start` to `end`; read-only (see the file header). */
export function leanString(value: string, type: 'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE', start: number, end: number): Scalar {
  return new (StringNodes[type] as unknown as StringNode)(value, start, end);
}

/** A plain scalar resolved to `value` (null, a bool, a number) from its `source`; read-only (see the file header). */
export function leanResolved(value: unknown, source: string, start: number, end: number): Scalar {
  return new ResolvedNode(value, source, start, end);
}

/** A pair of nodes. */
export function leanPair(key: Scalar, value: unknown): Pair {
  return new PairNode(key, value);
}

/** An empty mapping (`flow` for `{ … }`); the caller sets its range. */
export function leanMap(flow: boolean): YAMLMap {
  return new MapNode(flow || undefined);
}

/** An empty sequence (`flow` for `[ … ]`); the caller sets its range. */
export function leanSeq(flow: boolean): YAMLSeq {
  return new SeqNode(flow || undefined);
}

/** Where a lean node's value ends (range[1]), without making its range array. */
export function valueEnd(node: Scalar | YAMLMap | YAMLSeq): number {
  return node instanceof Scalar ? (node as unknown as LeanScalarFields).end : (node.range as [number, number, number])[1];
}

/** Sets where a lean collection ends with what follows it (range[2]); a lean scalar keeps none (see `range` above). */
export function setNodeEnd(node: Scalar | YAMLMap | YAMLSeq, end: number): void {
  if (!(node instanceof Scalar)) (node.range as [number, number, number])[2] = end;
}
