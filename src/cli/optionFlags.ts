/**
 * Library options by their CLI flags: a library error names the option
 * (`OptionError.option`, e.g. `maxFail`), the CLI says the flag (`--max-fail`).
 */
import { messageNaming } from '../core/errors.js';

/** Option name → the flag that sets it. An option missing here is shown as `--kebab-case`. */
const flags: Readonly<Record<string, string>> = {
  recursive: '-r',
  // serve's port (and host) are given together by --listen; no command has a --port.
  port: '--listen',
};

/** The flag that sets a library option: the table above, else `--` and the name in kebab case. */
export function flagFor(option: string): string {
  return flags[option] ?? `--${option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}

/** An error's message as the CLI says it: one that names options (`OptionError`, `ListenError`) names the flags instead. */
export function cliMessage(error: Error): string {
  return messageNaming(error, flagFor);
}
