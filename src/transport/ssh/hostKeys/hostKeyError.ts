/**
 * A host-key refusal whose hint names an option of the transport (`acceptNew`): the library
 * says the option's name, the CLI its flag (`--accept-new`), through `NamesOptions` as
 * `OptionError` does. It is still the `ConnectError` (reason `hostkey`) callers look for.
 */
import type { NamesOptions } from '../../../core/errors.js';
import { ConnectError } from '../../types.js';

export class HostKeyError extends ConnectError implements NamesOptions {
  override name = 'HostKeyError';
  /** `error`: the refusal as the transport built it (host, reason, the message without the hint). */
  constructor(error: ConnectError, private readonly say: (name: (option: string) => string) => string) {
    super(error.host, error.reason, say((option) => option), error.cause === undefined ? undefined : { cause: error.cause });
  }

  /** The message with the option called what `name` says (the CLI gives its flag). */
  messageWith(name: (option: string) => string): string {
    return this.say(name);
  }
}
