/**
 * `yaml` nodes made cheaply, for the fast path (fastYaml.ts): real instances of
 * `Scalar`, `Pair`, `YAMLMap` and `YAMLSeq` (their methods, `instanceof` and
 * yaml's `isScalar`/`isMap`/… all work), but with the node-type mark on the
 * prototype instead of an own property defined per node by `Object.defineProperty`,
 * and a scalar's range kept as three numbers, read through a `range` getter,
 * instead of an array per node. At 96,000 hosts (3.5 million scalars) that is
 * about 300 MB and seconds of GC less.
 *
 * The contract: these nodes are read, never edited (the edit path parses with
 * yaml itself). `range` is a fresh array at each read; writing to it changes nothing.
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
  type: Scalar.Type;
  source: string;
  start: number;
  end: number;
  nodeEnd: number;
}

const scalarPrototype = markedPrototype(Scalar.prototype, new Scalar(null), {
  range: {
    get(this: LeanScalarFields): [number, number, number] {
      return [this.start, this.end, this.nodeEnd];
    },
    set(this: LeanScalarFields, range: [number, number, number]) {
      [this.start, this.end, this.nodeEnd] = range;
    },
  },
});
// yaml's collections define `schema` as an own property; on the prototype it reads the same (undefined).
const mapPrototype = markedPrototype(YAMLMap.prototype, new YAMLMap(), { schema: { value: undefined, writable: true } });
const seqPrototype = markedPrototype(YAMLSeq.prototype, new YAMLSeq(), { schema: { value: undefined, writable: true } });
const pairPrototype = markedPrototype(Pair.prototype, new Pair(null));

function LeanScalar(this: LeanScalarFields, value: unknown, type: Scalar.Type, source: string, start: number, end: number, nodeEnd: number): void {
  this.value = value;
  this.type = type;
  this.source = source;
  this.start = start;
  this.end = end;
  this.nodeEnd = nodeEnd;
}
LeanScalar.prototype = scalarPrototype;

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

const ScalarNode = LeanScalar as unknown as new (value: unknown, type: Scalar.Type, source: string, start: number, end: number, nodeEnd: number) => Scalar;
const PairNode = LeanPair as unknown as new (key: Scalar, value: unknown) => Pair;
const MapNode = LeanMap as unknown as new (flow: boolean | undefined) => YAMLMap;
const SeqNode = LeanSeq as unknown as new (flow: boolean | undefined) => YAMLSeq;

/** A scalar node with its value, type, source and range [start, end, nodeEnd]; read-only (see the file header). */
export function leanScalar(value: unknown, type: Scalar.Type, source: string, start: number, end: number, nodeEnd: number): Scalar {
  return new ScalarNode(value, type, source, start, end, nodeEnd);
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

/** Sets where a lean node ends with what follows it (range[2]). */
export function setNodeEnd(node: Scalar | YAMLMap | YAMLSeq, end: number): void {
  if (node instanceof Scalar) (node as unknown as LeanScalarFields).nodeEnd = end;
  else (node.range as [number, number, number])[2] = end;
}
