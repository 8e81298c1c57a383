/**
 * A fake agent, kept only for what no real agent (src/agent/, see realAgents.test-helper.ts)
 * can be made to do:
 *
 * - answer as another host than the one asked (`impostor`: every request, `command.run` with
 *   its `start`): the real agent always names its own host (its certificate's CN), so the
 *   caller's check of the reply's host cannot be reached through it;
 * - answer `ping.get` at once and any other call only after `slowMs` (`slow`): no real
 *   module can be made to take a given time;
 * - answer `ping.get` for many hosts from one connection: the transport's 1,000-session test.
 *   A real agent serves one host per connection and needs its own certificate, and 1,000
 *   certificates from openssl take about 30 s on this machine; what that test is about is the
 *   operator's side (one broker connection and one reply mux for every session), which the
 *   answers' sender does not change.
 *
 * Everything else (commands, stdin, cancel, silence, plain modules) is tested against real agents.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjectToken, type CallReply, type CommandReply } from './protocol.js';

export interface ResponderOptions {
  url: string;
  files: { cert: string; key: string; ca: string };
  hosts: string[];
  /** Hosts answered as `${host}-impostor`. */
  impostors?: ReadonlySet<string>;
  /** Hosts whose calls other than `ping.get` are answered after `slowMs`. */
  slow?: ReadonlySet<string>;
  slowMs?: number;
}

export interface Responder {
  nc: NatsConnection;
  stop(): Promise<void>;
}

/** Starts the responder and resolves once every host's subscription is registered with the broker. */
export async function startResponder(options: ResponderOptions): Promise<Responder> {
  const nc = await connect({ servers: options.url, tls: { certFile: options.files.cert, keyFile: options.files.key, caFile: options.files.ca } });
  for (const host of options.hosts) {
    const impostor = options.impostors?.has(host) === true;
    const slow = options.slow?.has(host) === true;
    const as = impostor ? `${host}-impostor` : host;
    nc.subscribe(`muster.agent.${subjectToken(host)}.${impostor || slow ? '>' : 'ping.get'}`, {
      callback: (_error, msg) => {
        const to = msg.reply;
        if (!to) return;
        const reply = msg.subject.endsWith('.command.run') ? { t: 'start', host: as } satisfies CommandReply : { ok: true, host: as, value: { host: as } } satisfies CallReply;
        const send = (): void => nc.publish(to, JSON.stringify(reply));
        if (slow && !msg.subject.endsWith('.ping.get')) setTimeout(send, options.slowMs ?? 1000);
        else send();
      },
    });
  }
  await nc.flush();
  return {
    nc,
    async stop() {
      if (!nc.isClosed()) await nc.close();
    },
  };
}
