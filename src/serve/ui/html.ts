/**
 * HTML built by a tagged template that escapes every interpolated value: a host
 * note `<script>` becomes text, whatever page it lands on. Only `Html` values
 * (the result of `html` itself, or `raw` for fixed markup) pass unescaped, so
 * forgetting to escape is impossible rather than a thing to review.
 */

/** Markup known to be safe (built by `html`). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What an interpolation may be: text (escaped), numbers, markup, lists of them; null, undefined and false print nothing. */
export type Part = Html | string | number | boolean | null | undefined | readonly Part[];

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value (quotes too, so it is safe inside either kind of quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => entities[char] ?? char);
}

function emit(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return (part as readonly Part[]).map(emit).join('');
  return escapeHtml(String(part));
}

/** `html\`<p>${note}</p>\``: the note escaped, the markup kept. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < parts.length; i++) out += emit(parts[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Fixed markup written in this code (never data). */
export function raw(text: string): Html {
  return new Html(text);
}

/** A query string from pairs, each value percent-encoded; empty values left out. */
export function query(pairs: Record<string, string | number | undefined>): string {
  const list = Object.entries(pairs).filter(([, value]) => value !== undefined && value !== '');
  return list.length === 0 ? '' : `?${list.map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&')}`;
}

/** A path segment for a link (a host name with any character in it stays one segment). */
export function segment(name: string): string {
  return encodeURIComponent(name);
}
