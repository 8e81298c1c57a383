/**
 * The frame of every page (head, navigation, the live-update hook) and the
 * response headers that make the pages safe to open: a Content-Security-Policy
 * allowing only this server's own stylesheet and script (no inline script or
 * style, so injected markup could not run even if escaping failed), no framing,
 * no referrer, nothing cached (pages show the fleet, and may show outputs).
 */
import { createHash } from 'node:crypto';
import type { Prepared } from '../prepared.js';
import { html, type Html, type Part } from './html.js';

/** The policy: everything from 'self' only, nothing inline, no plugins, no framing, forms only to here. */
export const contentSecurityPolicy = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'",
].join('; ');

/** Headers every UI answer carries. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': contentSecurityPolicy,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/** A UI response: `body` with its type, the security headers and `extra` (Set-Cookie, Location). */
export function uiResponse(status: number, type: string, body: string | Buffer, index: number, extra: Record<string, string> = {}): Prepared {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return {
    status,
    body: bytes,
    headers: {
      'content-type': type,
      'content-length': String(bytes.length),
      'x-muster-index': String(index),
      'cache-control': 'no-store',
      vary: 'Accept-Encoding',
      ...(status === 200 ? { etag: `"${createHash('sha1').update(bytes).digest('base64url')}"` } : {}),
      ...securityHeaders,
      ...extra,
    },
  };
}

/** What a page says about itself to the frame. */
export interface PageFrame {
  title: string;
  /** Which tab of the navigation is this page's. */
  tab: 'fleet' | 'runs' | 'host' | 'login';
  /** The UI change index the page shows (the live script waits for the next). */
  index: number;
  /** Markup above `main` that a live update keeps (the filter box, so typing is not lost). */
  header?: Html;
  /** Said above everything: the inventory on disk does not load. */
  warning?: Html;
  main: Part;
}

/** A whole page. The script is deferred and optional: every list reads the same with JS off. */
export function page(frame: PageFrame): string {
  const tab = (name: PageFrame['tab'], href: string, label: string): Html =>
    html`<a href="${href}"${frame.tab === name ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${frame.title} · muster</title><link rel="stylesheet" href="/ui/assets/ui.css"><script src="/ui/assets/ui.js" defer></script></head>
<body data-index="${frame.index}"${frame.tab === 'login' ? '' : html` data-live="/ui/live"`}>
<a class="skiplink" href="#main">Skip to content</a>
<nav class="top" aria-label="muster">${tab('fleet', '/ui/', 'Fleet')} ${tab('runs', '/ui/runs', 'Runs')}<span class="live" id="live" role="status" aria-live="polite"></span></nav>
${frame.warning ?? ''}${frame.header ?? ''}<main id="main" tabindex="-1">${frame.main}</main>
</body></html>
`.text;
}
