/**
 * A fake agent, kept only for what no real agent (src/agent/, see realAgents.test-helper.ts)
 * can be made to do:
 *
 * - answer as another host than the one asked (`impostor`): the real agent always names its
 *   own host (its certificate's CN), so the caller's check of the reply's host cannot be
 *   reached through it;
 * - answer `ping.get` for many hosts from one connection: the transport's 1,000-session test.
 *   A real agent serves one host per connection and needs its own certificate, and 1,000
 *   certificates from openssl take about 30 s on this machine; what that test is about is the
 *   operator's side (one broker connection and one reply mux for every session), which the
 *   answers' sender does not change.
 *
 * Everything else (commands, stdin, cancel, silence, plain modules) is tested against real agents.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { subjectToken, type CallReply } from './protocol.js';

export interface ResponderOptions {
  url: string;
  files: { cert: string; key: string; ca: string };
  hosts: string[];
  /** Hosts answered as `${host}-impostor`. */
  impostors?: ReadonlySet<string>;
}

export interface Responder {
  nc: NatsConnection;
  stop(): Promise<void>;
}

/** Starts the responder and resolves once every host's subscription is registered with the broker. */
export async function startResponder(options: ResponderOptions): Promise<Responder> {
  const nc = await connect({ servers: options.url, tls: { certFile: options.files.cert, keyFile: options.files.key, caFile: options.files.ca } });
  for (const host of options.hosts) {
    const as = options.impostors?.has(host) ? `${host}-impostor` : host;
    nc.subscribe(`muster.agent.${subjectToken(host)}.ping.get`, {
      callback: (_error, msg) => {
        if (msg.reply) nc.publish(msg.reply, JSON.stringify({ ok: true, host: as, value: { host: as } } satisfies CallReply));
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
