/**
 * OpenSSH's error text read as a `ConnectFailure` reason. Both ssh transports meet that text:
 * the openssh transport in the stderr of its `ssh`, the in-process one in what a ProxyCommand
 * (most often `ssh -W`) printed before it exited. Kept here, beside neither, so that each
 * transport's folder depends only on the transport layer's shared files.
 */
import type { ConnectFailure } from './types.js';

/**
 * Maps the stderr of a failed OpenSSH client (`ssh` exiting 255, or a ProxyCommand running one)
 * to a reason; `other` when no known message is in it. The text may hold several lines: the
 * first pattern that matches anywhere wins, in the order below (refused before timeout, ...).
 */
export function failureFromText(stderr: string): ConnectFailure {
  if (/Connection refused/i.test(stderr)) return 'refused';
  if (/timed out/i.test(stderr)) return 'timeout';
  if (/Could not resolve hostname|Name or service not known|Temporary failure in name resolution/i.test(stderr)) return 'dns';
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* is not known|key for .* has changed/i.test(stderr)) return 'hostkey';
  if (/Permission denied|Too many authentication failures/i.test(stderr)) return 'auth';
  if (/Connection closed|Connection reset|closed by remote host|kex_exchange_identification/i.test(stderr)) return 'closed';
  return 'other';
}
