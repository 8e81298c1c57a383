/**
 * The web UI in a real browser: Debian's headless Chromium driven by
 * playwright-core (no browser download), against `serve --ui` over a real lab
 * whose journal the real `muster run` wrote. Screenshots of each page go to
 * test-output/. Skipped with the reason without a lab (root, sshd) or Chromium.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { labDown, labUnavailableReason, labUp, type Lab } from '../../lab/index.js';
import { muster } from '../../cli/commands/cli.test-helper.js';
import { serverFor } from '../server.test-helper.js';
import type { MetadataServer } from '../server.js';

const chromiumPath = '/usr/bin/chromium';
const unavailable = (await labUnavailableReason()) ?? (existsSync(chromiumPath) ? undefined : `no ${chromiumPath}`);
const shots = fileURLToPath(new URL('../../../test-output/', import.meta.url));

describe('serve --ui in headless Chromium over a real lab', { skip: unavailable ?? false }, () => {
  const name = `webui-${process.pid}`;
  let lab: Lab;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  let server: MetadataServer;
  let browser: Browser;
  let page: Page;

  const cli = async (args: string[]): Promise<string> => {
    const ran = await muster(args, { env });
    assert.ok(ran.code === 0 || ran.code === 1, `muster ${args.join(' ')}: ${ran.stderr}`);
    return ran.stdout;
  };
  const shot = (file: string): Promise<Buffer> => page.screenshot({ path: join(shots, file), fullPage: true });

  before(async () => {
    mkdirSync(shots, { recursive: true });
    lab = await labUp({ name, count: 4, roles: ['web', 'db'] });
    stateDir = mkdtempSync(join(tmpdir(), 'muster-ui-browser-'));
    env = { ...process.env, MUSTER_INVENTORY: lab.inventoryPath, MUSTER_STATE_DIR: stateDir, NO_COLOR: '1' };
    // lab04 fails: the journal then holds both outcomes, and the run page two blocks.
    await cli(['run', 'all', '--', 'if [ "$(hostname)" = lab04 ]; then echo disk full >&2; exit 3; fi; echo kernel 6.1']);
    server = await serverFor(lab.inventoryPath, { ui: { history: { stateDir } } });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await page.addInitScript(() => {
      // Set if any script the page did not ship ever runs (a hostile value executed).
      (window as unknown as { pwned: boolean }).pwned = false;
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await labDown(name);
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('the fleet page: every lab host as a tile, grouped by role, coloured by its last outcome', async () => {
    await page.goto(`${server.url}/ui/`);
    assert.deepEqual(await page.locator('.group h2').allTextContents(), ['web (2)', 'db (2)']);
    assert.equal(await page.locator('a.t.o-ok').count(), 3);
    assert.deepEqual(await page.locator('a.t.o-failed').allTextContents(), ['lab04']);
    assert.equal(await page.locator('#nodeset').inputValue(), 'lab[01-04]');
    assert.equal(await page.locator('button.copy-button').isVisible(), true, 'the script showed the copy button');
    await shot('ui-fleet.png');
  });

  test('the selector box filters (a form GET), and a bad selector is pointed at', async () => {
    await page.goto(`${server.url}/ui/`);
    await page.fill('#q', 'db!lab04');
    await page.press('#q', 'Enter');
    await page.waitForURL(/\?q=db%21lab04$/);
    assert.deepEqual(await page.locator('.tiles a.t').allTextContents(), ['lab03']);
    await page.fill('#q', 'web&nosuch');
    await page.press('#q', 'Enter');
    await page.waitForSelector('#selector-error');
    assert.equal(await page.locator('#selector-error mark').textContent(), 'n');
    assert.match(await page.locator('#selector-error p').textContent() ?? '', /Invalid selector: .*nosuch.*\(character 5\)/);
    await shot('ui-fleet-bad-selector.png');
  });

  test('with JavaScript off the lists and the filter still work; the keyboard reaches the skip link, then the tiles', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const plain = await context.newPage();
    await plain.goto(`${server.url}/ui/`);
    await plain.fill('#q', 'web');
    await plain.press('#q', 'Enter');
    await plain.waitForURL(/\?q=web$/);
    assert.deepEqual(await plain.locator('.tiles a.t').allTextContents(), ['lab01', 'lab02']);
    assert.equal(await plain.locator('button.copy-button').isVisible(), false, 'no copy button without the script; the list is a plain field');
    await context.close();

    await page.goto(`${server.url}/ui/`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement?.classList.contains('t'))); i++) await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'lab01');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/ui\/hosts\/lab01$/);
  });

  test('the host page: vars with file:line:col, roles, and its last run with output', async () => {
    await page.goto(`${server.url}/ui/`);
    await page.click('a.t >> text=lab04');
    await page.waitForURL(/\/ui\/hosts\/lab04$/);
    const address = await page.locator('tr:has(th:text-is("address")) td.from').textContent();
    assert.match(address ?? '', new RegExp(`^${lab.inventoryPath}:\\d+:\\d+ \\(host\\)$`));
    assert.match(await page.locator('details.run pre.err').textContent() ?? '', /disk full/);
    await shot('ui-host.png');
  });

  test("a run's page: identical hosts folded, the failure first", async () => {
    await page.goto(`${server.url}/ui/runs`);
    await page.click('a >> text=#1');
    const headers = await page.locator('.block h3').allTextContents();
    assert.deepEqual(headers, ['lab04 (1) failed, exit 3', 'lab[01-03] (3) ok']);
    assert.equal(await page.locator('.block.o-ok pre.out').textContent(), 'kernel 6.1\n');
    await shot('ui-run.png');
  });

  test('live: the open page follows `muster set` (a hostile note shown as text) and a new `muster run`', async () => {
    await page.goto(`${server.url}/ui/hosts/lab02`);
    const note = '<script>window.pwned = true</script><img src=x onerror="window.pwned=true">';
    await cli(['set', 'lab02', `note=${note}`]);
    await page.waitForFunction((text) => document.querySelector('tr:has(th) td code')?.closest('tbody')?.textContent?.includes(text), note, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { pwned: boolean }).pwned), false);
    assert.equal(await page.locator('main script, main img').count(), 0);
    await shot('ui-host-live.png');

    await page.goto(`${server.url}/ui/runs`);
    await cli(['run', 'lab02', '--', 'echo second']);
    await page.waitForSelector('a:text-is("#2")', { timeout: 15_000 });
    await shot('ui-runs.png');
  });
});

describe('serve --ui with a token, in Chromium', { skip: existsSync(chromiumPath) ? false : `no ${chromiumPath}` }, () => {
  let server: MetadataServer;
  let browser: Browser;
  let dir: string;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'muster-ui-token-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'muster.yaml'), 'version: 1\nroles: { web: {} }\nhosts:\n  web[1-3]: { roles: [web] }\n');
    server = await serverFor(join(dir, 'muster.yaml'), { token: 'browser-token', ui: { watchJournal: false, history: { stateDir: dir } } });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the login form takes the token once; the cookie is HttpOnly, SameSite=Strict and not the token', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const first = await page.goto(`${server.url}/ui/hosts/web2`);
    assert.equal(first?.status(), 401);
    await page.fill('#token', 'nope');
    await page.click('button[type=submit]');
    assert.equal(await page.locator('main .error').textContent(), 'Wrong token.');
    await page.fill('#token', 'browser-token');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/ui\/hosts\/web2$/);
    assert.equal(await page.locator('h1').textContent(), 'web2');
    const [cookie] = await context.cookies();
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.notEqual(cookie?.value, 'browser-token');
    assert.doesNotMatch(await page.content(), /browser-token/);
    await page.screenshot({ path: join(shots, 'ui-login.png') });
    await context.close();
  });
});
