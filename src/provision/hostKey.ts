/**
 * Per-host provisioning keys. When muster serve requires a bearer token, an
 * installer cannot send it: a kernel line carries a URL, not a header, and the
 * fleet's token (which reads the whole inventory) has no business in a PXE
 * menu that TFTP hands to anyone, nor in an answer file. So each host gets a
 * key of its own, derived from that token (HMAC-SHA256 of the host's name), in
 * the path of its URLs: `/v1/provision/HOST/KEY/preseed.cfg`. It opens only
 * that host's provisioning routes, and those only while its netboot is on (an
 * installed host's answer file is a 404 and its CSR is refused), as Foreman's
 * per-host build token does. `muster provision sync --token-file` and `muster
 * serve --token-file` derive the same keys from the same file; nothing stores
 * them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The keys of every host, from serve's token. */
export class ProvisionKeys {
  readonly #secret: string;
  /** Tells key sets apart (fingerprint.ts: a new token rewrites every menu) without saying anything of the token. */
  readonly id: string;

  constructor(token: string) {
    this.#secret = token;
    this.id = this.#mac('muster provision keys');
  }

  /** The key of `host`: 32 hex digits (128 bits), safe in a URL path, a kernel line and a shell word. */
  of(host: string): string {
    return this.#mac(`muster provision key\0${host}`);
  }

  /** Whether `key` is `host`'s, compared in constant time. */
  accepts(host: string, key: string): boolean {
    const want = Buffer.from(this.of(host));
    const got = Buffer.from(key);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#secret).update(text).digest('hex').slice(0, 32);
  }
}
