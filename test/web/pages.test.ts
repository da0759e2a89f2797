// End-to-end: the dashboard and the agent page in real headless Chromium (Debian's package), against a real
// server that a short demo run filled with decisions. `npm test` builds the pages first (pretest).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG, WEB_ROOT } from '../../src/cli/paths.ts';
import { DemoSimulator } from '../../src/demo/simulator.ts';
import { Engine } from '../../src/engine/engine.ts';
import { buildServer } from '../../src/server/app.ts';
import { ApiKeys } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/store.ts';
import { TEXTS } from '../../web/src/texts.ts';
import { DIALECTS } from '../store/dialects.ts';
import { CHROMIUM, haveChromium, requireBuilt } from './browser.ts';

// Every visible text node and the visible labels of the page, run in the browser (a string: the tests'
// TypeScript has no DOM types).
const VISIBLE_TEXTS = `(() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = n.textContent?.trim();
    if (text && n.parentElement?.checkVisibility()) out.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label], [placeholder], [title]'))
    if (el.checkVisibility())
      for (const name of ['aria-label', 'placeholder', 'title']) {
        const v = el.getAttribute(name);
        if (v) out.push(v);
      }
  return out;
})()`;
const ADMIN = 'e2e-admin-key-0123456789';
const READER = 'e2e-read-key-0123456789';
requireBuilt('index.html');

const SHOTS = process.env.NEXTBEST_SCREENSHOTS;

describe.skipIf(!haveChromium).each(DIALECTS)('dashboard and agent page in Chromium ($name)', (dialect) => {
  let app: FastifyInstance;
  let engine: Engine;
  let store: Store;
  let url: string;
  let browser: Browser;

  beforeAll(async () => {
    store = await openStore(dialect.freshUrl());
    engine = await Engine.open(store, readFileSync(BUNDLED_CATALOG, 'utf8'), { checkpointMs: 0, seed: 3 });
    const keys = new ApiKeys(engine.store);
    keys.ring.addFixed(ADMIN, 'admin', ['admin'], 'environment');
    keys.ring.addFixed(READER, 'reader', ['read'], 'environment');
    app = await buildServer(engine, { keys, webRoot: WEB_ROOT });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
    const sim = new DemoSimulator({
      url,
      adminKey: ADMIN,
      customers: 500,
      seed: 7,
      speed: 25,
      maxSessions: 800,
    });
    await sim.loadCustomers();
    await sim.run();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await engine?.close();
    await store?.close();
  });

  /** Console messages of any page about the Content-Security-Policy (a blocked script, style or request). */
  const cspViolations: string[] = [];

  async function page(path: string, key: string | null = ADMIN): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    p.on('console', (m) => {
      if (/Content Security Policy|Content-Security-Policy/i.test(m.text()))
        cspViolations.push(`${path}: ${m.text()}`);
    });
    await p.goto(`${url}${path}${key ? `#key=${key}` : ''}`);
    return p;
  }

  it('the overview plots accept rates per arm after a short demo run', async () => {
    const p = await page('/');
    const canvas = p.locator('#lift-chart');
    await expect
      .poll(async () => Number(await canvas.getAttribute('data-adaptive-points')), { timeout: 15_000 })
      .toBeGreaterThan(0);
    expect(Number(await canvas.getAttribute('data-control-points'))).toBeGreaterThan(0);
    await expect.poll(() => p.locator('[data-testid="rate-adaptive"] .value').textContent()).toMatch(/\d.*%/);
    expect(await p.locator('[data-testid="lift"] .value').textContent()).toMatch(/[+−-]?\d/);
    if (SHOTS) await p.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });
    await p.context().close();
  });

  it('a key with only the read scope sees the dashboard; the agent page says it may not decide', async () => {
    const p = await page('/', READER);
    await expect
      .poll(() => p.locator('[data-testid="rate-adaptive"] .value').textContent(), { timeout: 15_000 })
      .toMatch(/\d.*%/);
    await p.context().close();
    const agent = await page('/agent', READER);
    await agent.locator('#customer-id').fill('C00042');
    await agent.locator('#customer-id').press('Enter');
    await expect
      .poll(() => agent.locator('#agent-message').textContent(), { timeout: 10_000 })
      .toContain("This key may not do this; the server says: this route needs a key with scope 'decide'");
    await agent.context().close();
  });

  it('shows journeys: NPS from the surveys, contacts per channel', async () => {
    const p = await page('/');
    await p.locator('#tabs button[data-tab="journeys"]').click();
    const nps = p.locator('[data-testid="nps"] .value');
    await nps.waitFor({ timeout: 10_000 });
    expect(await nps.textContent()).toMatch(/^-?\d+$/);
    // Its interval, or "n too small" below 10 answers, and the count either way.
    const sub = (await p.locator('[data-testid="nps"] .sub').textContent()) ?? '';
    const answers = Number(/· ([\d,]+) answers/.exec(sub)?.[1]?.replace(/,/g, ''));
    expect(answers, sub).toBeGreaterThan(0);
    if (answers < 10) expect(sub).toContain('n too small for an interval');
    else expect(sub).toMatch(/^95 %: -?\d+ … -?\d+ · /);
    expect(await p.locator('#contacts-table tbody tr').count()).toBeGreaterThan(1);
    if (SHOTS) await p.screenshot({ path: join(SHOTS, 'journeys.png'), fullPage: true });
    await p.context().close();
  });

  it('reports a model: AUC, calibration error and slope, the calibration deciles with their intervals', async () => {
    const p = await page('/');
    await p.locator('#tabs button[data-tab="models"]').click();
    const first = p.locator('#models-table tbody tr').first();
    await first.waitFor({ timeout: 10_000 });
    // The list has each model's progressive AUC over the window; after the demo run some have one.
    const aucs = await p.locator('#models-table [data-testid="auc"]').allTextContents();
    expect(aucs.filter((a) => /^[01]\.\d{3}$/.test(a)).length, aucs.join(' ')).toBeGreaterThan(0);
    await first.locator('button').click();
    await expect
      .poll(() => p.locator('#model-title').textContent(), { timeout: 10_000 })
      .toMatch(/AUC [\d.,]+ · calibration error \(ECE\) [\d.,]+ · calibration slope -?[\d.,]+/);
    expect(await p.locator('#calibration-chart').isVisible()).toBe(true);
    await p.context().close();
  });

  it('lists recent decisions and explains one', async () => {
    const p = await page('/');
    await p.locator('#tabs button[data-tab="decisions"]').click();
    const first = p.locator('#recent-decisions tbody tr').first();
    await first.waitFor({ timeout: 10_000 });
    await first.locator('button').click();
    const status = p.locator('#decision-result td[class^="status-"]').first();
    await status.waitFor({ timeout: 10_000 });
    expect(await p.locator('#decision-result').textContent()).toMatch(/chosen/);
    await p.context().close();
  });

  it('switches between English and German', async () => {
    const p = await page('/');
    const tab = p.locator('#tabs button[data-tab="overview"]');
    await expect.poll(() => tab.textContent()).toBe('Overview');
    await p.locator('button[data-lang="de"]').click();
    await expect.poll(() => tab.textContent()).toBe('Übersicht');
    expect(await p.locator('h1').textContent()).toBe('nextbest Dashboard');
    expect(await p.locator('html').getAttribute('lang')).toBe('de');
    if (SHOTS) await p.screenshot({ path: join(SHOTS, 'overview-de.png'), fullPage: true });
    // The models tab names maturity in German too (the API sends cold / learning / mature).
    await p.locator('#tabs button[data-tab="models"]').click();
    const maturity = p.locator('#models-table tbody tr td:nth-child(5)');
    await maturity.first().waitFor({ timeout: 10_000 });
    const shown = await maturity.allTextContents();
    expect(shown.length).toBeGreaterThan(0);
    for (const m of shown) expect(['kalt', 'lernend', 'ausgereift']).toContain(m);
    await p.locator('button[data-lang="en"]').click();
    await expect.poll(() => tab.textContent()).toBe('Overview');
    await p.context().close();
  });

  it('says clearly when the key is wrong', async () => {
    const p = await page('/', 'not-the-key');
    const message = p.locator('#key-message');
    await expect.poll(() => message.textContent(), { timeout: 10_000 }).toContain('Wrong key');
    expect(await p.locator('#app').isHidden()).toBe(true);
    // Entering the right key opens the dashboard.
    await p.locator('#key-input').fill(ADMIN);
    await p.locator('#key-form button[type="submit"]').click();
    await expect.poll(() => p.locator('#app').isVisible()).toBe(true);
    await p.context().close();
  });

  it('the agent page records an accept that then appears in the KPIs', async () => {
    const p = await page('/agent');
    await p.locator('#customer-id').fill('C00042');
    await p.locator('#customer-id').press('Enter');
    const first = p.locator('.nba').first();
    await first.waitFor({ timeout: 10_000 });
    const actionId = (await first.getAttribute('data-action'))!;
    expect(await p.locator('#profile').textContent()).toContain('segment');
    const accepts = async () => {
      const res = await fetch(`${url}/v1/kpis?by=action`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const body = (await res.json()) as { rows: Array<{ key: { action: string }; accepts: number }> };
      return body.rows.find((r) => r.key.action === actionId)?.accepts ?? 0;
    };
    const before = await accepts();
    if (SHOTS) await p.screenshot({ path: join(SHOTS, 'agent.png'), fullPage: true });
    // Keyboard: the first action is selected; A accepts it.
    await p.keyboard.press('a');
    await first.locator('.ok').waitFor({ timeout: 5_000 });
    expect(await first.locator('.ok').textContent()).toBe('Recorded');
    expect(await accepts()).toBe(before + 1);
    await p.context().close();
  });

  it('the audit tab lists a catalog change with its diff, in German too', async () => {
    const patched = await fetch(`${url}/v1/catalog/actions/LoyaltyDiscount`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ lever: 1.7 }),
    });
    expect(patched.status).toBeLessThan(300);
    const p = await page('/');
    await p.locator('#tabs button[data-tab="audit"]').click();
    const row = p.locator('#audit-table tbody tr').first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toMatch(/catalog\.patch.*changed LoyaltyDiscount \(lever\)/);
    await p.locator('#lang button', { hasText: 'DE' }).click();
    await expect
      .poll(() => p.locator('#tabs button[data-tab="audit"]').textContent())
      .toBe('Änderungsprotokoll');
    await p.context().close();
  });

  it('in German, no tab and no agent view shows a page text or a reason in English', async () => {
    const english = new Set(
      Object.entries(TEXTS.en)
        .filter(([k, v]) => TEXTS.de[k as keyof typeof TEXTS.en] !== v)
        .map(([, v]) => v),
    );
    // Words of the server's English sentences (explanations, reasons) that the German ones do not use.
    const englishSentence =
      /\b(dropped at|ranked|highest|priority|propensity|exploration|not among|rule is false|control arm|used up)\b/;
    const found: string[] = [];
    const scan = async (p: Page, where: string) => {
      const texts = (await p.evaluate(VISIBLE_TEXTS)) as string[];
      expect(texts.length, where).toBeGreaterThan(10);
      for (const text of texts)
        if (english.has(text) || englishSentence.test(text)) found.push(`${where}: ${text}`);
    };
    const p = await page('/');
    await p.locator('button[data-lang="de"]').click();
    const open = async (tab: string, ready: string) => {
      await p.locator(`#tabs button[data-tab="${tab}"]`).click();
      await p.locator(ready).first().waitFor({ timeout: 10_000 });
    };
    await open('overview', '[data-testid="rate-adaptive"]');
    await expect.poll(() => p.locator('[data-testid="rate-adaptive"] .value').textContent()).toMatch(/\d/);
    await scan(p, 'overview');
    await open('actions', '#actions-table tbody tr');
    await scan(p, 'actions');
    await open('models', '#models-table tbody tr');
    await p.locator('#models-table tbody tr button').first().click();
    await expect.poll(() => p.locator('#model-title').textContent()).toMatch(/AUC/);
    await scan(p, 'models');
    await open('decisions', '#recent-decisions tbody tr');
    await p.locator('#recent-decisions tbody tr button').first().click();
    await p.locator('#decision-result td').first().waitFor({ timeout: 10_000 });
    await scan(p, 'decisions');
    await open('journeys', '#contacts-table tbody tr');
    await scan(p, 'journeys');
    await open('audit', '#audit-table thead');
    await scan(p, 'audit');
    if (SHOTS) await p.screenshot({ path: join(SHOTS, 'decisions-de.png'), fullPage: true });
    await p.context().close();
    const agent = await page('/agent');
    await agent.locator('button[data-lang="de"]').click();
    await agent.locator('#customer-id').fill('C00042');
    await agent.locator('#customer-id').press('Enter');
    await agent.locator('.nba').first().waitFor({ timeout: 10_000 });
    await scan(agent, 'agent');
    // The catalog's German texts: the first action's title is its German treatment title.
    const title = await agent.locator('.nba h3').first().textContent();
    expect(title).toMatch(/^1\. /);
    if (SHOTS) await agent.screenshot({ path: join(SHOTS, 'agent-de.png'), fullPage: true });
    await agent.context().close();
    expect(found).toEqual([]);
  });

  it('no page ran into the Content-Security-Policy (the dashboard, the agent page, the docs)', async () => {
    const docs = await page('/docs/', null);
    await docs.locator('.opblock').first().waitFor({ timeout: 15_000 });
    await docs.context().close();
    expect(cspViolations).toEqual([]);
  });
});
