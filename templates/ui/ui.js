/* muster serve --ui: the only script. Everything works without it; it adds two things:
 * - live updates: one long poll per open page on /ui/live?index=N (the UI's change index, moved
 *   by inventory edits and by new runs in the journal); on news, the page is fetched again and its
 *   <main> swapped in place (the filter box, outside <main>, keeps what is being typed);
 * - the copy button of the folded host list.
 * Served from 'self' under a CSP with no inline script: no handler is written in the markup. */
/* global document, window, fetch, DOMParser, navigator, location */
'use strict';

function say(text) {
  const live = document.getElementById('live');
  if (live) live.textContent = text;
}

function wireCopy(root) {
  for (const button of root.querySelectorAll('button[data-copy]')) {
    const field = document.getElementById(button.dataset.copy);
    if (!field) continue;
    button.hidden = false;
    button.addEventListener('click', async () => {
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        // No clipboard API (plain http on another address is not a secure context): the old way.
        document.execCommand('copy');
      }
      button.textContent = 'Copied';
      window.setTimeout(() => { button.textContent = 'Copy'; }, 1500);
    });
  }
}

async function swapMain() {
  const response = await fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } });
  const text = await response.text();
  const next = new DOMParser().parseFromString(text, 'text/html');
  const main = document.getElementById('main');
  const fresh = next.getElementById('main');
  if (!main || !fresh) return;
  main.replaceWith(fresh);
  document.body.dataset.index = next.body.dataset.index || document.body.dataset.index;
  document.title = next.title;
  wireCopy(fresh);
}

async function follow() {
  const url = document.body.dataset.live;
  if (!url) return;
  let failures = 0;
  for (;;) {
    const index = document.body.dataset.index;
    try {
      const response = await fetch(`${url}?index=${encodeURIComponent(index)}&wait=5m`, { credentials: 'same-origin' });
      if (response.status === 401) { say('logged out'); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const news = await response.json();
      failures = 0;
      if (String(news.index) !== index) {
        await swapMain();
        document.body.dataset.index = String(news.index);
        say(`updated ${new Date().toLocaleTimeString()}`);
      }
    } catch {
      // The server restarted or the network dropped: wait longer each time, never a storm.
      failures += 1;
      say('reconnecting…');
      await new Promise((resolve) => window.setTimeout(resolve, Math.min(30000, 1000 * 2 ** failures)));
    }
  }
}

wireCopy(document);
follow();
