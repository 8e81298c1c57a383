/**
 * The one interface every agent module implements (docs/agent.md, "Modules"): a name and its
 * actions, each an async function from validated arguments to a JSON-able value. A module never
 * sees NATS; the daemon decodes the request, calls the action and sends its value (or its
 * `ModuleError`) back as a `CallReply`. `command` is the one exception: its replies stream, so
 * the daemon runs it itself (command.ts).
 */
import type { z } from 'zod';
import { MusterError } from '../core/errors.js';
import type { AgentErrorCode } from '../transport/nats/protocol.js';

/** What an action gets besides its arguments. */
export interface ActionContext {
  /** The agent's inventory host name (every reply names it). */
  host: string;
  /** Aborted when the agent stops (drain grace over): an action that waits on a child should stop it. */
  signal: AbortSignal;
  /** Writes one line to the agent's log (stderr). Never give it secrets. */
  log: (line: string) => void;
}

/** One action: validated by its own schema (see `action`), resolving to a JSON-able value. */
export type Action = (args: Record<string, unknown>, context: ActionContext) => Promise<unknown>;

/** A module: a name (the subject's module token) and its actions (the last token). */
export interface AgentModule {
  readonly name: string;
  readonly actions: Readonly<Record<string, Action>>;
}

/**
 * An expected failure of a module call, with the wire's error code: the daemon answers
 * `{ ok: false, error: { code, message } }`. Anything else an action throws is answered as
 * `failed` with its message (and logged, being a bug or an unexpected system error).
 */
export class ModuleError extends MusterError {
  override name = 'ModuleError';
  constructor(readonly code: AgentErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/**
 * An action whose arguments are checked by `schema` first: arguments that do not fit are a
 * `bad-request` naming the first wrong field, and `run` sees only the parsed (typed) value.
 */
export function action<S extends z.ZodType>(schema: S, run: (args: z.infer<S>, context: ActionContext) => Promise<unknown>): Action {
  return async (args, context) => {
    const parsed = schema.safeParse(args);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      throw new ModuleError('bad-request', `invalid arguments: ${where}${issue?.message ?? 'do not match'}`);
    }
    return run(parsed.data, context);
  };
}

/** The modules by name, checked at build time (a duplicate name is a bug). */
export function moduleTable(modules: readonly AgentModule[]): ReadonlyMap<string, AgentModule> {
  const table = new Map<string, AgentModule>();
  for (const module of modules) {
    if (table.has(module.name)) throw new Error(`two agent modules named ${module.name}`);
    table.set(module.name, module);
  }
  return table;
}
