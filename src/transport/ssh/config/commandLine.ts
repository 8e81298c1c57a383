/**
 * `ssh -o Key=Value` for muster (`-o` on every fan-out command): each option is read as a
 * config line is (the same lexer and value checks), and, as in ssh, before any file and
 * before the inventory's address, user and port, so that the first value obtained is the
 * command line's. `Host`, `Match` and `Include` are refused as ssh refuses them there.
 */
import { InvalidFileError, UsageError } from '../../../core/errors.js';
import { parseConfigLine, type ConfigLine } from './configFile.js';
import { splitLine, LexError } from './lexer.js';

/** ssh says "%s directive not supported as a command-line option" for these. */
const NOT_ON_COMMAND_LINE = new Set(['host', 'match', 'include']);

/**
 * The `-o` words as config lines, file `command-line`, line N for the Nth word. Throws a
 * UsageError naming `-o` for a word ssh would refuse: an unknown keyword, a bad value, no
 * value, or Host/Match/Include.
 */
export function commandLineLines(words: readonly string[]): ConfigLine[] {
  return words.map((word, index) => {
    const fail = (message: string): never => {
      throw new UsageError(`Invalid -o "${word}": ${message}`);
    };
    let split;
    try {
      split = splitLine(word);
    } catch (error) {
      if (error instanceof LexError) fail(error.message);
      throw error;
    }
    if (split === null) return fail('give Key=Value, e.g. -o User=admin');
    if (NOT_ON_COMMAND_LINE.has(split.keyword)) fail(`${split.keyword} directive not supported as a command-line option (as in ssh)`);
    let line: ConfigLine | null = null;
    try {
      line = parseConfigLine('command-line', index + 1, word, { includeHome: '/', checkPermissions: false });
    } catch (error) {
      if (error instanceof InvalidFileError) fail(error.problems[0]?.message ?? error.message);
      throw error;
    }
    if (line === null) return fail('give Key=Value, e.g. -o User=admin');
    if (line.kind.kind === 'unknown') fail(`Bad configuration option: ${line.keyword}`);
    return line;
  });
}
