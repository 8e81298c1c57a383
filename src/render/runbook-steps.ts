/**
 * The steps of a rendered runbook: its fenced shell blocks (```sh, ```bash,
 * ```shell, also with ~~~), in order, each titled by the nearest heading above it.
 */

/** One step: a shell block to run. */
export interface RunbookStep {
  /** 1-based, in document order. */
  number: number;
  /** The nearest Markdown heading above the block ('' when none). */
  title: string;
  /** The fence's language word: sh, bash or shell. */
  language: string;
  /** The block's text, without the fences. */
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

const shells = new Set(['sh', 'bash', 'shell', 'console-sh']);

/**
 * Finds the shell blocks of a Markdown text. Other fenced blocks (```yaml,
 * ```text, plain ```) are documentation, not steps; an unclosed fence ends at
 * the end of the file, as CommonMark says.
 */
export function runbookSteps(markdown: string): RunbookStep[] {
  const lines = markdown.split(/\r?\n/);
  const steps: RunbookStep[] = [];
  let title = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      title = heading[1] ?? '';
      continue;
    }
    const fence = /^( {0,3})(`{3,}|~{3,})\s*([^\s`{]*)?.*$/.exec(line);
    if (!fence) continue;
    const marker = fence[2] as string;
    const language = (fence[3] ?? '').toLowerCase();
    const body: string[] = [];
    let j = i + 1;
    const closing = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    while (j < lines.length && !closing.test(lines[j] as string)) body.push(lines[j++] as string);
    if (shells.has(language)) steps.push({ number: steps.length + 1, title, language, code: `${body.join('\n')}\n`, line: i + 1 });
    i = j;
  }
  return steps;
}
