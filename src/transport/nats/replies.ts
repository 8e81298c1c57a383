/**
 * Every reply of an operation comes in through ONE wildcard subscription,
 * `<inbox>.<nuid>.>`, and is handed to its request by the subject's last token: a
 * subscription per request (or per exec) would cost a SUB and an UNSUB round of the broker
 * each, for 5,000 hosts. The same place hears what comes back without a reply: the broker
 * refusing a publish (`Permissions Violation`, an asynchronous -ERR naming the subject),
 * which goes to every open request that published there, and the connection closing.
 */
import { nuid, type Msg, type NatsConnection, type PublishOptions } from '@nats-io/transport-node';
import { MusterError } from '../../core/errors.js';

/** What a request waits for besides its replies. */
export interface ReplyHandlers {
  /** A message on the request's reply subject (a reply, an output chunk, a 503 no-responders). */
  message(msg: Msg): void;
  /** The broker refused a publish this request made (`subject` is what it published to). */
  refused(subject: string): void;
  /** The connection closed: no reply will come. */
  closed(error: MusterError): void;
}

/** One open request: its reply subject, and publishing on its behalf. */
export interface ReplyChannel {
  /** Where its replies go. (`command.run`'s id is a nuid of its own, not this subject's last token: ids are one namespace per agent.) */
  readonly subject: string;
  readonly token: string;
  /** Publishes to `subject`, remembering it so a refusal of that subject reaches this request. */
  publish(subject: string, data: Uint8Array | string, options?: { reply?: boolean }): void;
  /** No more messages for it: later ones are dropped. */
  close(): void;
}

/** The reply mux of one connection. */
export class Replies {
  private readonly base: string;
  private readonly open = new Map<string, { handlers: ReplyHandlers; subjects: string[] }>();
  private counter = 0;
  private ended: MusterError | undefined;

  constructor(private readonly nc: NatsConnection, prefix: string) {
    this.base = `${prefix}.${nuid.next()}`;
    nc.subscribe(`${this.base}.>`, {
      callback: (error, msg) => {
        if (error) return;
        const token = msg.subject.slice(this.base.length + 1);
        this.open.get(token)?.handlers.message(msg);
      },
    });
  }

  /** Opens a reply subject for one request. */
  channel(handlers: ReplyHandlers): ReplyChannel {
    const token = (++this.counter).toString(36);
    const subject = `${this.base}.${token}`;
    // Usually one subject (the request's), a command's stdin and cancel besides: an array
    // scanned on the rare refusal costs less than an index kept up for every request.
    const entry = { handlers, subjects: [] as string[] };
    if (this.ended) {
      const ended = this.ended;
      queueMicrotask(() => handlers.closed(ended));
    } else this.open.set(token, entry);
    return {
      subject,
      token,
      publish: (to, data, options = {}) => {
        if (!entry.subjects.includes(to)) entry.subjects.push(to);
        const publish: PublishOptions = options.reply === false ? {} : { reply: subject };
        this.nc.publish(to, data, publish);
      },
      close: () => void this.open.delete(token),
    };
  }

  /** The broker refused a publish to `subject`: every open request that published there hears it. */
  refusedPublish(subject: string): void {
    for (const entry of [...this.open.values()]) {
      if (entry.subjects.includes(subject)) entry.handlers.refused(subject);
    }
  }

  /** The connection is gone: every open request, and every later one, ends with `error`. */
  end(error: MusterError): void {
    this.ended = error;
    const entries = [...this.open.values()];
    this.open.clear();
    for (const entry of entries) entry.handlers.closed(error);
  }

  /** How many requests are waiting (for tests and for the close). */
  get size(): number {
    return this.open.size;
  }
}
