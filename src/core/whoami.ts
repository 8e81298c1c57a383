/**
 * Who is running muster, as the history, a publish's version and an admission record it. In
 * core because ops (the journal) and cli (publish, admit, runbook) say it the same way.
 */
import { hostname, userInfo } from 'node:os';

/** The login name; without a passwd entry (a container's arbitrary uid), what the environment says. */
export function userName(env: NodeJS.ProcessEnv = process.env): string {
  try {
    return userInfo().username;
  } catch {
    return env['USER'] ?? env['LOGNAME'] ?? `uid${String(process.getuid?.() ?? '')}`;
  }
}

/** `user@machine`: who published or admitted. */
export function userAtHost(): string {
  return `${userName()}@${hostname()}`;
}
