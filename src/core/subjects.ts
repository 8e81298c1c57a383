/**
 * NATS subject names of muster's agent network (docs/agents.md, "Subjects"). In core because
 * the broker's generated permissions and both ends of the wire must spell them the same way.
 */

/**
 * One subject token for a host, role or operator name: letters, digits, `_` and `-` are
 * kept, every other byte (the `.` of `web01.dc1`, `*`, `>`) becomes `%XX`, so a name is
 * always exactly one token and can never be a wildcard.
 */
export function subjectToken(name: string): string {
  // Most names (web01) are a token as they are: no byte-by-byte walk on the per-request path.
  if (/^[A-Za-z0-9_-]+$/.test(name)) return name;
  let token = '';
  for (const byte of Buffer.from(name, 'utf8')) {
    const char = String.fromCharCode(byte);
    token += /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (token === '') throw new Error('a subject token needs a non-empty name');
  return token;
}

/** Where requests for one host's module action go. */
export function agentSubject(host: string, module: string, action: string): string {
  return `muster.agent.${subjectToken(host)}.${module}.${action}`;
}

/** Where requests for every host of a role go. */
export function roleSubject(role: string, module: string, action: string): string {
  return `muster.role.${subjectToken(role)}.${module}.${action}`;
}

/** The inbox prefix of an operator's connection (`inboxPrefix`); replies reach only that operator. */
export function inboxPrefix(operator: string): string {
  return `muster.inbox.${subjectToken(operator)}`;
}

/**
 * The inbox prefix of an agent's connection: its KV watch is delivered there (and only the
 * agent may subscribe to it). Not under `muster.inbox.`, where an operator named like a host would be.
 */
export function agentInboxPrefix(host: string): string {
  return `muster.agentinbox.${subjectToken(host)}`;
}

/**
 * The inbox prefix of a host asking to join: shared by every holder of a join credential, so
 * nothing secret is ever answered there (a join answer is a certificate, which is public).
 */
export const joinInboxPrefix = 'muster.joininbox';

/** Every request subject of one host's agent (what it subscribes to). */
export function agentWildcard(host: string): string {
  return `muster.agent.${subjectToken(host)}.>`;
}

/** Every request subject of a role (what the agents of its hosts subscribe to). */
export function roleWildcard(role: string): string {
  return `muster.role.${subjectToken(role)}.>`;
}
