// The browser snippet on a sample shop page (examples/web/shop.mjs) in Chromium: the shop runs on another origin
// than nextbest, signs its customer's token, and carries a publishable key; the snippet renders the decision into
// the placeholders and reports impressions, clicks and dismissals by itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG, WEB_ROOT } from '../../src/cli/paths.ts';
import { ADMIN_KEY, type Running, startServer } from '../server/harness.ts';
import { CHROMIUM, haveChromium, requireBuilt } from './browser.ts';

// biome-ignore lint/suspicious/noExplicitAny: the example is plain JavaScript
const { startShop } = (await import(join(import.meta.dirname, '../../examples/web/shop.mjs'))) as any;

const SECRET = 'snippet-test-secret-of-at-least-32-chars';
requireBuilt('snippet.js');

describe.skipIf(!haveChromium)('the browser snippet on a shop page in Chromium', () => {
  let server: Running;
  let browser: Browser;
  const shopOptions: Record<string, unknown> = { customerId: 'C00042' };
  let shop: { url: string; close: () => Promise<void> };
  let elsewhere: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    server = await startServer(readFileSync(BUNDLED_CATALOG, 'utf8'), {}, undefined, {
      customerTokenSecret: SECRET,
      webRoot: WEB_ROOT,
    });
    await server.engine.putCustomer('C00042', {
      segment: 'consumer',
      plan: 'mobile-plus',
      tenureMonths: 30,
      monthlySpend: 58,
    });
    shop = await startShop(shopOptions);
    const created = await server.call('POST', '/v1/keys', {
      key: ADMIN_KEY,
      body: { label: 'shop', scopes: ['publishable'], origins: [shop.url], channels: ['web'] },
    });
    Object.assign(shopOptions, { nextbestUrl: server.url, key: created.body.key, secret: SECRET });
    // The same page on an origin the key does not name.
    elsewhere = await startShop(shopOptions);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await elsewhere?.close();
    await server?.stop();
  });

  const outcomesOf = async (decisionId: string) =>
    (
      (await server.call('GET', `/v1/decisions/${decisionId}`, { key: ADMIN_KEY })).body.outcomes as Array<{
        actionId: string;
        outcome: string;
      }>
    ).map((o) => `${o.actionId}:${o.outcome}`);

  it('renders the next best actions for the signed-in customer and reports what the visitor does', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const warnings: string[] = [];
    page.on('console', (m) => {
      // The shop's own 404s (its favicon, the offers' links) are not the snippet's.
      if ((m.type() === 'warning' || m.type() === 'error') && !m.text().includes('404'))
        warnings.push(m.text());
    });
    await page.goto(shop.url);
    const offers = page.locator('[data-nextbest] .nextbest-offer');
    await offers.first().waitFor({ timeout: 10_000 });
    expect(await offers.count()).toBe(2);
    const decisionId = (await offers.first().getAttribute('data-decision-id'))!;
    const actions = await offers.evaluateAll((els) => els.map((e) => e.getAttribute('data-action-id')));
    const logged = (await server.call('GET', `/v1/decisions/${decisionId}`, { key: ADMIN_KEY })).body;
    expect(logged).toMatchObject({ customerId: 'C00042', channel: 'web', context: { intent: 'browse' } });
    expect(logged.actions.map((a: { actionId: string }) => a.actionId)).toEqual(actions);
    expect(await offers.first().locator('.nextbest-title').textContent()).toBe(
      logged.actions[0].treatment.title ?? logged.actions[0].name,
    );
    // Both offers are in view: an impression each, once.
    await expect
      .poll(() => outcomesOf(decisionId), { timeout: 10_000 })
      .toEqual(expect.arrayContaining(actions.map((a) => `${a}:impression`)));
    // No thanks: the offer goes and the server hears a reject.
    await offers.nth(1).locator('.nextbest-dismiss').click();
    await expect.poll(() => outcomesOf(decisionId), { timeout: 10_000 }).toContain(`${actions[1]}:reject`);
    expect(await offers.count()).toBe(1);
    // A link click is reported even though the page navigates away.
    const link = offers.first().locator('.nextbest-link');
    // (The example's web treatments have links: the first offer here has one.)
    expect(await link.count()).toBe(1);
    await link.click();
    await expect.poll(() => outcomesOf(decisionId), { timeout: 10_000 }).toContain(`${actions[0]}:click`);
    expect((await outcomesOf(decisionId)).filter((o) => o.endsWith(':impression'))).toHaveLength(2);
    expect(warnings, 'the console').toEqual([]);
    await page.close();
  });

  it('speaks the page’s language: German words and the catalog’s German treatments', async () => {
    shopOptions.lang = 'de';
    try {
      const page = await browser.newPage();
      await page.goto(shop.url);
      const offer = page.locator('[data-nextbest] .nextbest-offer').first();
      await offer.waitFor({ timeout: 10_000 });
      expect(await offer.locator('.nextbest-dismiss').textContent()).toBe('Nein danke');
      const decisionId = (await offer.getAttribute('data-decision-id'))!;
      const logged = await server.call('GET', `/v1/decisions/${decisionId}`, {
        key: ADMIN_KEY,
        headers: { 'accept-language': 'de' },
      });
      const title = await offer.locator('.nextbest-title').textContent();
      // The example catalog translates every title; the page shows the German one the decision answered.
      const action = server.engine.activeCatalog.catalog.actionsById.get(logged.body.actions[0].actionId)!;
      expect(title).toBe(action.translations.get('de')?.treatments?.web?.title);
      await page.close();
    } finally {
      delete shopOptions.lang;
    }
  });

  it('on an origin the key does not name, the page keeps its own content', async () => {
    const page = await browser.newPage();
    await page.goto(elsewhere.url);
    await expect
      .poll(() => page.locator('[data-nextbest]').first().getAttribute('data-nextbest-state'), {
        timeout: 10_000,
      })
      .toBe('error');
    expect(await page.locator('[data-nextbest]').first().textContent()).toBe('Our offers for you');
    await page.close();
  });
});
