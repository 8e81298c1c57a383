/**
 * `muster call SEL MODULE.ACTION [k=v…]`: calls one module of the agent on every selected
 * host (over nats, whatever the hosts' `muster_transport`) and gathers the results as `run`
 * does: identical values in one block with the folded host list, failures last, the summary
 * line. A module's error is the host's `failed` with the agent's message; `--json` writes one
 * record per host with the value (or the error), then the summary record.
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { UsageError } from '../../core/errors.js';
import { runOn, type Job } from '../../run/engine.js';
import type { Outcome } from '../../run/outcome.js';
import { flatYaml } from '../../report/flatYaml.js';
import { hostRecord } from '../../report/jsonLines.js';
import type { AgentError } from '../../transport/nats/protocol.js';
import type { NatsSession } from '../../transport/nats/transport.js';
import type { Session } from '../../transport/types.js';
import { selectFleet } from '../fanout/fleet.js';
import { defaultNatsForks, type FanoutOptions } from '../fanout/options.js';
import { fanoutWith } from '../fanout/runFanout.js';
import { addTargetOptions } from '../fanout/targetOptions.js';
import { newCommand } from '../globals.js';

/** What a host's call came to, kept in its outcome's `data`. */
export type CallData = { value: unknown } | { error: AgentError };

/** The `call` command. */
export function command(): Command {
  return addTargetOptions(newCommand('call', 'call an agent module on every selected host, results gathered'))
    .argument('<selector>', 'which hosts (a role, group, host, nodeset, KEY=VALUE, all; combine with , & !)')
    .argument('<call>', 'MODULE.ACTION, e.g. ping.get, facts.get, file.stat, service.status')
    .argument('[args...]', 'KEY=VALUE arguments: numbers, true, false and null as in YAML, {…}/[…]/"…" as JSON, anything else a string')
    .option('-f, --forks <n>', 'hosts asked at once', String(defaultNatsForks))
    .option('--connect-timeout <duration>', 'an agent that does not answer ping (sent with the call) in this long is `timeout` (default 5s)')
    .option('--timeout <duration>', 'per host, for the call (default 30s)')
    .option('--operator <name>', 'the operator certificate to use (default: $MUSTER_OPERATOR, else the only one in STATE/ca/operators/)')
    .option('--all-states', 'include hosts whose state is in skip_states')
    .addHelpText('after', [
      '',
      'Examples:',
      '  muster call all ping.get',
      '  muster call web file.stat path=/etc/nginx/nginx.conf',
      "  muster call 'web&dc=tk1' service.status name=nginx --json",
      '',
      'Exit codes: 0 every host answered ok, 1 some host failed/unreachable/timed out,',
      '2 usage or inventory error (also: the broker refused this operator the call), 130 interrupted.',
    ].join('\n'))
    .action(async (selector: string, call: string, words: string[], options: FanoutOptions) => {
      const [module, action] = parseCall(call);
      const args = parseCallArgs(words);
      const fleet = await selectFleet([selector], options);
      await fanoutWith(fleet.targets, { ...options, transport: 'nats' }, {
        command: 'call',
        selector,
        jsonRecord: callRecord,
      }, (run) => runOn(fleet.targets, callJob(module, action, args), run));
    });
}

/** `MODULE.ACTION` split in two; a usage error for anything else, and for `command.*` (that is `muster run`). */
export function parseCall(call: string): [string, string] {
  const match = /^([A-Za-z][\w-]*)\.([A-Za-z][\w-]*)$/.exec(call);
  if (!match) throw new UsageError(`Invalid call "${call}": give MODULE.ACTION, e.g. ping.get or file.stat`);
  const [, module, action] = match as unknown as [string, string, string];
  if (module === 'command') throw new UsageError(`muster call does not run commands: use muster run SEL --transport nats -- COMMAND`);
  return [module, action];
}

/**
 * `KEY=VALUE` words as the call's arguments. A value that starts like JSON (`{`, `[`, `"`)
 * must be JSON; `true`, `false`, `null` and decimal numbers are those (`0644` stays a
 * string: a leading zero is a mode or a name, never meant as 644); anything else is the
 * string as written. Throws UsageError for a word without `=`, a key given twice, bad JSON.
 */
export function parseCallArgs(words: readonly string[]): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const word of words) {
    const at = word.indexOf('=');
    const key = at > 0 ? word.slice(0, at) : '';
    if (!/^[A-Za-z_][\w-]*$/.test(key)) throw new UsageError(`Invalid argument "${word}": give KEY=VALUE, e.g. path=/etc/hosts`);
    if (Object.hasOwn(args, key)) throw new UsageError(`Argument ${key} is given twice`);
    args[key] = parseValue(key, word.slice(at + 1));
  }
  return args;
}

function parseValue(key: string, text: string): unknown {
  if (/^[[{"]/.test(text)) {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new UsageError(`Invalid argument ${key}: ${text} starts like JSON but is not (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

function isNatsSession(session: Session): session is NatsSession {
  return typeof (session as Partial<NatsSession>).call === 'function';
}

/**
 * The job of `muster call`: the module's value is the host's `ok` output (YAML, so equal
 * values gather and read well; a string as it is), an agent's error the host's `failed`
 * with its message. Transport failures are the engine's to name (unreachable, timeout).
 */
export function callJob(module: string, action: string, args: Record<string, unknown>): Job<CallData> {
  return async (session, { signal, target }) => {
    if (!isNatsSession(session)) throw new UsageError(`${target.name} is not reached over nats: muster call needs its agent`);
    const reply = await session.call(module, action, args, { signal });
    if (!reply.ok) return { status: 'failed', exitCode: null, stdout: '', stderr: '', message: reply.error.message, data: { error: reply.error } };
    return { status: 'ok', exitCode: 0, stdout: valueText(reply.value), stderr: '', data: { value: reply.value } };
  };
}

/** A value for people: a string as it is, anything else as YAML; always ending in a newline. */
export function valueText(value: unknown): string {
  const text = typeof value === 'string' ? value : flatYaml(value) ?? stringify(value);
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** A host's `--json` record: the usual fields without the rendered output, plus the value or the agent's error. */
export function callRecord(outcome: Outcome): unknown {
  const { stdout: _stdout, stderr: _stderr, ...record } = hostRecord(outcome);
  const data = outcome.data as CallData | undefined;
  return { ...record, ...(data ?? {}) };
}
