/**
 * Facts as dotted keys, the form people read them in (`muster facts`) and select by
 * (`fact.os.id=debian`): nested objects become `os.id`, `memory.total`; a disk becomes
 * `disks.MOUNT.FIELD` (`disks./.size`: mounts are what people name disks by); the addresses
 * become one list, `addresses`, of `ADDRESS/PREFIX` (a selector matches a list when any item
 * does, as for list vars: `fact.addresses=10.1.*`). Any other list of scalars stays a list;
 * a list of objects is keyed by position (`KEY.0.FIELD`). Fields an agent adds later flatten
 * the same way, without a change here.
 */

/** One flattened value: a scalar, or a list of scalars. */
export type FlatValue = string | number | boolean | null | (string | number | boolean | null)[];

/** A host's facts as dotted keys, in the order the facts list them. */
export type FlatFacts = Record<string, FlatValue>;

type Scalar = string | number | boolean | null;

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Flattens a facts value (`HostFacts`, or what an agent published) to dotted keys. */
export function flattenFacts(facts: unknown): FlatFacts {
  const out: FlatFacts = {};
  const walk = (value: unknown, key: string): void => {
    if (isScalar(value)) {
      out[key] = value;
      return;
    }
    if (Array.isArray(value)) {
      if (key === 'addresses') {
        out[key] = value.map((entry: { cidr?: unknown; address?: unknown }) => String(entry?.cidr ?? entry?.address ?? ''));
        return;
      }
      if (value.every(isScalar)) {
        out[key] = value;
        return;
      }
      value.forEach((item: unknown, at) => {
        const mount = key === 'disks' && item !== null && typeof item === 'object' ? (item as { mount?: unknown }).mount : undefined;
        if (typeof mount === 'string') {
          const { mount: _mount, ...rest } = item as Record<string, unknown>;
          walk(rest, `${key}.${mount}`);
        } else walk(item, `${key}.${at}`);
      });
      return;
    }
    if (value !== null && typeof value === 'object') {
      for (const [name, inner] of Object.entries(value)) walk(inner, key === '' ? name : `${key}.${name}`);
    }
  };
  walk(facts, '');
  return out;
}
