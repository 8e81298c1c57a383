/**
 * Gathering facts now, as a fan-out job: over SSH the facts script (ops/factsScript.ts), one
 * exec per host; over nats the agent's `facts.get`. Either way the host's outcome is `ok`
 * with the facts in its `data` and nothing in stdout (the command shows them gathered by key),
 * or `failed` saying why; transport failures (unreachable, timeout) are the engine's.
 */
import { UsageError } from '../core/errors.js';
import type { Job } from '../run/engine.js';
import type { NatsSession } from '../transport/nats/transport.js';
import { ExecAbortedError, type Session } from '../transport/types.js';
import { FactsOutputError, factsCommand, parseFactsOutput } from './factsScript.js';
import type { FactsSource } from './factsStore.js';

/** What a host's facts came to, in its outcome's `data`. */
export interface FactsData {
  facts: Record<string, unknown>;
  /** When the host said them (ISO 8601). */
  seenAt: string;
  via: FactsSource;
}

/** The facts of a host over SSH: the script's output parsed; a failed script is the host's `failed` with its stderr. */
export function sshFactsJob(options: { sudo?: boolean } = {}): Job<FactsData> {
  return async (session, { signal }) => {
    let result;
    try {
      result = await session.exec(factsCommand, { signal, ...(options.sudo ? { sudo: true } : {}) });
    } catch (error) {
      if (!(error instanceof ExecAbortedError)) throw error;
      return { status: 'failed', exitCode: null, stdout: '', stderr: '', message: error.message };
    }
    const stderr = result.stderr.toString('utf8');
    try {
      const facts = parseFactsOutput(result.stdout.toString('utf8'));
      return { status: 'ok', exitCode: 0, stdout: '', stderr: '', data: { facts: { ...facts }, seenAt: new Date().toISOString(), via: 'ssh' } };
    } catch (error) {
      if (!(error instanceof FactsOutputError)) throw error;
      return { status: 'failed', exitCode: result.exitCode, stdout: '', stderr, message: error.message };
    }
  };
}

function isNatsSession(session: Session): session is NatsSession {
  return typeof (session as Partial<NatsSession>).call === 'function';
}

/** The facts of a host from its agent, asked now (`facts.get`); an agent's error is the host's `failed`. */
export function natsFactsJob(): Job<FactsData> {
  return async (session, { signal, target }) => {
    if (!isNatsSession(session)) throw new UsageError(`${target.name} is not reached over nats: asking its agent needs the nats transport`);
    const reply = await session.call('facts', 'get', {}, { signal });
    if (!reply.ok) return { status: 'failed', exitCode: null, stdout: '', stderr: '', message: reply.error.message };
    const value = reply.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { status: 'failed', exitCode: null, stdout: '', stderr: '', message: 'its agent answered facts.get with something other than facts' };
    return { status: 'ok', exitCode: 0, stdout: '', stderr: '', data: { facts: value as Record<string, unknown>, seenAt: new Date().toISOString(), via: 'nats' } };
  };
}
