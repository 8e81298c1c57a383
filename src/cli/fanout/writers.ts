/**
 * Where the fan-out front writes: passed in rather than taken from `process`, so
 * the presenter and the stream printer can be tested with plain strings.
 */

/** Anything text can be written to (a `process.stdout`, a test's collector). */
export interface Writer {
  write(text: string): unknown;
}

/** The two outputs of a command: results on stdout, progress and summary on stderr. */
export interface Writers {
  stdout: Writer;
  stderr: Writer;
}
