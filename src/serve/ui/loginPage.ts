/** The login form: the token typed once, POSTed (never in a URL), answered with the session cookie. */
import { html } from './html.js';
import { page } from './layout.js';

/** The page; `next` is where to go after (a UI path), `wrong` after a refused token. */
export function loginPage(index: number, next: string, wrong: boolean): string {
  const main = html`<h1>Log in</h1><p>This server requires its token (the one in <code>--token-file</code>).</p>
${wrong ? html`<p class="error" role="alert">Wrong token.</p>` : ''}
<form class="login" method="post" action="/ui/login"><input type="hidden" name="next" value="${next}">
<label for="token">Token</label> <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Log in</button></form>`;
  return page({ title: 'Log in', tab: 'login', index, main });
}
