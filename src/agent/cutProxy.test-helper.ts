/**
 * A TCP relay to the broker that a test can hold and cut, to lose messages for real: while
 * held, what the broker sends is kept back; `cut` closes the relayed connections with what
 * was kept back unsent, as a network fault would. The client reconnects through the relay.
 */
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface CutProxy {
  url: string;
  /** Keeps back everything the broker sends from now on. */
  hold(): void;
  /** Closes every relayed connection, losing what was kept back; new ones relay again. */
  cut(): void;
  close(): Promise<void>;
}

/** A relay on a free loopback port to the broker at `port`. */
export async function cutProxy(port: number): Promise<CutProxy> {
  let held = false;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const broker = connect(port, '127.0.0.1');
    open.add(client).add(broker);
    client.pipe(broker);
    broker.on('data', (chunk: Buffer) => { if (!held) client.write(chunk); });
    const close = (): void => { client.destroy(); broker.destroy(); open.delete(client); open.delete(broker); };
    client.on('close', close).on('error', close);
    broker.on('close', close).on('error', close);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return {
    url: `tls://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold() { held = true; },
    cut() {
      held = false;
      for (const socket of open) socket.destroy();
    },
    close: () => new Promise<void>((closed) => {
      for (const socket of open) socket.destroy();
      server.close(() => closed());
    }),
  };
}
