/**
 * YAML for the common flat value (`ping.get`'s `{ host, version, uptime, agentUptime }`)
 * without the yaml library: `muster call` shows every host's value as YAML, and yaml's
 * `stringify` (a document model per value) took ~0.1 ms a host, half a second on 5,000.
 *
 * Only values whose YAML is beyond doubt are written here, exactly as `stringify` writes
 * them (flatYaml.test.ts compares the two, on chosen and on generated values): a non-empty
 * plain object of scalars whose keys are words and whose strings start with a letter, a digit,
 * `_` or `/` and hold only letters, digits and `_ . / -` (no space, `:` or `#`), and are nothing
 * a YAML 1.2 core resolver reads as a boolean, null or number (`true`, `NULL`, `12`, `1.5e3`,
 * `0x1f`, `0o17` are left to yaml, which quotes them). Anything else is `undefined`: the caller
 * uses yaml.
 */

const word = /^[A-Za-z_][A-Za-z0-9_]*$/;
const plainString = /^[A-Za-z0-9_/][A-Za-z0-9_./-]*$/;
const keyword = /^(?:true|false|null)$/i;
/** What the core schema reads as a number (int, float, octal, hex), in the characters a plain string here may hold. */
const numberLike = /^(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+)$/;

/** `value` as yaml's `stringify` writes it, when it is a flat object of plain scalars; else undefined. */
export function flatYaml(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return undefined;
  let text = '';
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !word.test(key) || keyword.test(key)) return undefined;
    const scalar = scalarText((value as Record<string, unknown>)[key]);
    if (scalar === undefined) return undefined;
    text += `${key}: ${scalar}\n`;
  }
  return text === '' ? undefined : text;
}

function scalarText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return plainString.test(value) && !keyword.test(value) && !numberLike.test(value) ? value : undefined;
    case 'number':
      // yaml writes a finite number as JSON does, and -0 as `-0`: left to it.
      return Number.isFinite(value) && !Object.is(value, -0) ? String(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : undefined;
    default:
      return undefined;
  }
}
