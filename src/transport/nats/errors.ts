/**
 * The failures particular to agents. Host-level ones reuse the transport's classes
 * (`ConnectError`: unreachable, `NoAnswerError`: timeout); these two are the others.
 */
import { MusterError } from '../../core/errors.js';
import type { AgentError } from './protocol.js';

/**
 * The broker refused to carry a request: this operator's permissions (generated from the
 * inventory's `agents.operators` and `permissions`) do not include `call`. It concerns the
 * whole operation, not a host: every host would be refused the same way.
 */
export class BrokerRefusedError extends MusterError {
  override name = 'BrokerRefusedError';
  constructor(
    readonly operator: string,
    /** `module.action`, e.g. `command.run`. */
    readonly call: string,
  ) {
    super(`the broker refused: operator ${operator} may not call ${call}`);
  }
}

/** An agent answered with an error (`{ ok: false }` or `{ t: 'error' }`): it got the request and refused or failed it. */
export class AgentReplyError extends MusterError {
  override name = 'AgentReplyError';
  constructor(
    readonly host: string,
    readonly error: AgentError,
  ) {
    super(error.message);
  }
}

/** `module.action` of a request subject (`muster.agent.<host>.<module>.<action>`). */
export function callOf(subject: string): string {
  return subject.split('.').slice(-2).join('.');
}
