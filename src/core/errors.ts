/**
 * The expected failures of muster. Each is a named class with the fields a caller
 * needs; the CLI prints `message` on one line (no stack) and picks the exit code
 * from the class. Anything that is not a MusterError is a bug and keeps its stack.
 */

/** A place in a source file, 1-based line and column. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/** Formats a location as `file:line:col`. */
export function formatLocation(at: SourceLocation): string {
  return `${at.file}:${at.line}:${at.col}`;
}

/** Base class of every expected failure: the CLI prints its message without a stack trace. */
export class MusterError extends Error {
  override name = 'MusterError';
}

/** Bad command-line usage: wrong arguments, unknown options, conflicting flags. Exit 2. */
export class UsageError extends MusterError {
  override name = 'UsageError';
}

/**
 * An error whose message names options of a library call and can be said again
 * with other names for them: `OptionError`, and failures whose hint names an
 * option (serve's `ListenError`). The CLI says them with its flags.
 */
export interface NamesOptions {
  /** The message with every option called what `name` says. */
  messageWith(name: (option: string) => string): string;
}

/** Whether `error` can say its message with other names for its options (see `NamesOptions`). */
export function namesOptions(error: Error): error is Error & NamesOptions {
  return typeof (error as Partial<NamesOptions>).messageWith === 'function';
}

/** `error`'s message with its options called what `name` says, when it names options and a naming is given. */
export function messageNaming(error: Error, name?: (option: string) => string): string {
  return name && namesOptions(error) ? error.messageWith(name) : error.message;
}

/**
 * A bad value for an option of a library call. The library names options as its
 * callers write them (`forks`, `maxFail`); `say` builds the message from a naming
 * function, so the CLI can say the same thing with its flags (`--forks`,
 * `--max-fail`). `message` is the library's wording. `option` is the option at fault.
 *
 * @example
 * throw new OptionError('forks', (name) => `Invalid ${name('forks')} ${forks}: give a whole number of at least 1`);
 */
export class OptionError extends UsageError implements NamesOptions {
  override name = 'OptionError';
  constructor(
    readonly option: string,
    private readonly say: (name: (option: string) => string) => string,
  ) {
    super(say((option) => option));
  }

  /** The message with every option called what `name` says (the CLI gives its flags). */
  messageWith(name: (option: string) => string): string {
    return this.say(name);
  }
}

/** One thing wrong with a file muster reads (inventory, task file, template). */
export interface Problem {
  message: string;
  at?: SourceLocation;
  /** The other place involved, e.g. the first definition of a duplicate. */
  also?: SourceLocation;
}

/** Formats a problem as `file:line:col: message (first at line:col)`. */
export function formatProblem(problem: Problem): string {
  const where = problem.at ? `${formatLocation(problem.at)}: ` : '';
  let also = '';
  if (problem.also) {
    also = problem.also.file === problem.at?.file
      ? ` (first at ${problem.also.line}:${problem.also.col})`
      : ` (first at ${formatLocation(problem.also)})`;
  }
  return `${where}${problem.message}${also}`;
}

/**
 * A file that cannot be used as it is. Carries every problem found in one pass;
 * the message lists them all, one per line, each with its location.
 */
export class InvalidFileError extends MusterError {
  override name = 'InvalidFileError';
  constructor(
    readonly what: string,
    readonly problems: Problem[],
    options?: ErrorOptions,
  ) {
    super(`Cannot load ${what}: ${problems.map(formatProblem).join('\n  ')}`, options);
  }
}

/**
 * A selector that does not parse or names nothing known. `offset` is 0-based into `selector`.
 * The message quotes the selector with a caret under the offset; a long one (a 5,000-name union)
 * only around the offset, which the first line then gives as a number.
 */
export class SelectorError extends MusterError {
  override name = 'SelectorError';
  constructor(
    readonly selector: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    const cut = selector.length > 100;
    const from = cut ? Math.max(0, Math.min(offset - 40, selector.length - 80)) : 0;
    const to = cut ? from + 80 : selector.length;
    const shown = `${from > 0 ? '…' : ''}${selector.slice(from, to)}${to < selector.length ? '…' : ''}`;
    const caret = offset - from + (from > 0 ? 1 : 0);
    super(`Invalid selector: ${reason}${cut ? ` (at character ${offset + 1} of ${selector.length})` : ''}\n  ${shown}\n  ${' '.repeat(caret)}^`);
  }
}

/** A named thing (host, role, group, lab, history entry) that does not exist. */
export class NotFoundError extends MusterError {
  override name = 'NotFoundError';
  constructor(
    readonly kind: string,
    readonly key: string,
    detail?: string,
  ) {
    super(`No ${kind} named "${key}"${detail ? `: ${detail}` : ''}`);
  }
}

/** The environment cannot do what was asked (not root, a package missing, a port taken). */
export class EnvironmentError extends MusterError {
  override name = 'EnvironmentError';
}
