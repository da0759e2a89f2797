// Publishable keys and customer tokens through the real HTTP server: a key that web pages carry may only decide
// and report what a visitor does, on its channels, from its origins, and names a customer by a signed token only.
import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG, WEB_ROOT } from '../../src/cli/paths.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const catalogSource = readFileSync(BUNDLED_CATALOG, 'utf8');
const SECRET = 'a-customer-token-secret-of-32-chars-or-more';
const SHOP = 'https://shop.example.com';

function token(sub: string | undefined, options: { secret?: string; expiresIn?: string | number } = {}) {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(options.expiresIn ?? '1h');
  if (sub !== undefined) jwt.setSubject(sub);
  return jwt.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

describe('publishable keys and customer tokens', () => {
  let server: Running;
  let key: string;
  const page = (path: string, body: unknown, origin: string | null = SHOP, k = key) =>
    server.call('POST', path, { key: k, body, headers: origin ? { origin } : {} });

  beforeAll(async () => {
    server = await startServer(catalogSource, {}, undefined, {
      customerTokenSecret: SECRET,
      webRoot: WEB_ROOT,
    });
    await server.engine.putCustomer('C00042', { segment: 'consumer', plan: 'mobile-plus', tenureMonths: 30 });
    const created = await server.call('POST', '/v1/keys', {
      key: ADMIN_KEY,
      body: { label: 'web shop', scopes: ['publishable'], origins: [SHOP], channels: ['web', 'app'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      origins: [SHOP],
      channels: ['web', 'app'],
      scopes: ['publishable'],
    });
    key = created.body.key;
    expect(key).toMatch(/^nbp_/);
  });
  afterAll(() => server.stop());

  it('is created only alone, with origins and inbound channels of the catalog', async () => {
    const create = (body: Record<string, unknown>) =>
      server.call('POST', '/v1/keys', { key: ADMIN_KEY, body: { label: 'x', ...body } });
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ scopes: ['publishable', 'read'], origins: [SHOP], channels: ['web'] }, 'body.scopes', /alone/],
      [{ scopes: ['publishable'], channels: ['web'] }, 'body.origins', /at least one/],
      [{ scopes: ['publishable'], origins: [SHOP] }, 'body.channels', /at least one/],
      [{ scopes: ['publishable'], origins: [SHOP], channels: ['sms'] }, 'body.channels[0]', /outbound/],
      [
        { scopes: ['publishable'], origins: [SHOP], channels: ['web', 'fax'] },
        'body.channels[1]',
        /not a channel/,
      ],
      [
        { scopes: ['publishable'], origins: ['shop.example.com'], channels: ['web'] },
        'body.origins[0]',
        /origin/,
      ],
      [{ scopes: ['decide'], origins: [SHOP] }, 'body.origins', /only for a key with scope 'publishable'/],
    ];
    for (const [body, field, message] of cases) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.field, JSON.stringify(body)).toBe(field);
      expect(r.body.message).toMatch(message);
    }
  });

  it('decides on its channels from its origins, for a customer named by a signed token', async () => {
    const anonymous = await page('/v1/decide', { channel: 'web' });
    expect(anonymous.status).toBe(200);
    const known = await page('/v1/decide', { channel: 'app', customerToken: await token('C00042') });
    expect(known.status).toBe(200);
    const logged = await server.call('GET', `/v1/decisions/${known.body.decisionId}`, { key: ADMIN_KEY });
    expect(logged.body).toMatchObject({ customerId: 'C00042', channel: 'app' });
    const refused: Array<[unknown, string | null, number, string]> = [
      [{ channel: 'web' }, null, 403, 'headers.origin'],
      [{ channel: 'web' }, 'https://evil.example.com', 403, 'headers.origin'],
      [{ channel: 'call-centre' }, SHOP, 403, 'body.channel'],
      [{ channel: 'web', customerId: 'C00042' }, SHOP, 403, 'body.customerId'],
      [{ channel: 'web', explain: true }, SHOP, 403, 'body.explain'],
    ];
    for (const [body, origin, status, field] of refused) {
      const r = await page('/v1/decide', body, origin);
      expect([r.status, r.body.field], JSON.stringify([body, origin])).toEqual([status, field]);
      expect(r.body.code).toBe('NB_ERR_FORBIDDEN');
    }
    // Other routes stay closed to it.
    const read = await server.call('GET', `/v1/decisions/${known.body.decisionId}`, {
      key,
      headers: { origin: SHOP },
    });
    expect(read.status).toBe(403);
  });

  it('refuses a customer token that does not verify, naming why', async () => {
    const bad: Array<[string, RegExp]> = [
      [await token('C00042', { secret: 'another-secret-another-secret-another' }), /signature/],
      [await token('C00042', { expiresIn: Math.floor(Date.now() / 1000) - 120 }), /expired/],
      [await token(undefined), /sub/],
      [`${(await token('C00042')).slice(0, -3)}abc`, /signature/],
      ['not-a-token', /not a signed token/],
      // alg none: an unsigned token naming anybody.
      [
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
          JSON.stringify({ sub: 'C00042', exp: Math.floor(Date.now() / 1000) + 600 }),
        ).toString('base64url')}.`,
        /./,
      ],
    ];
    for (const [t, why] of bad) {
      const r = await page('/v1/decide', { channel: 'web', customerToken: t });
      expect(r.status, t).toBe(401);
      expect(r.body).toMatchObject({ code: 'NB_ERR_CUSTOMER_TOKEN', field: 'body.customerToken' });
      expect(r.body.message).toMatch(why);
    }
    // A backend key may send a token too, but not beside a bare id.
    const both = await server.call('POST', '/v1/decide', {
      body: { channel: 'web', customerId: 'C00042', customerToken: await token('C00042') },
    });
    expect([both.status, both.body.field]).toEqual([400, 'body.customerToken']);
  });

  it('reports impressions, clicks, accepts and rejects of its channels, nothing else', async () => {
    const d = (await page('/v1/decide', { channel: 'web' })).body;
    const actionId = d.actions[0].actionId;
    const outcome = (body: Record<string, unknown>, origin: string | null = SHOP) =>
      page('/v1/outcomes', { decisionId: d.decisionId, actionId, ...body }, origin);
    expect((await outcome({ outcome: 'impression' })).status).toBe(200);
    expect((await outcome({ outcome: 'click' })).status).toBe(200);
    expect((await outcome({ outcome: 'click' }, 'https://evil.example.com')).body.field).toBe(
      'headers.origin',
    );
    expect((await outcome({ outcome: 'convert' })).body).toMatchObject({ field: 'body.outcome' });
    expect((await outcome({ outcome: 'accept', value: 100 })).body).toMatchObject({ field: 'body.value' });
    // A decision an agent's desktop got is not the page's to answer.
    const agent = (await server.call('POST', '/v1/decide', { body: { channel: 'call-centre' } })).body;
    const r = await page('/v1/outcomes', {
      decisionId: agent.decisionId,
      actionId: agent.actions[0].actionId,
      outcome: 'accept',
    });
    expect([r.status, r.body.field]).toEqual([403, 'body.decisionId']);
    const logged = await server.call('GET', `/v1/decisions/${d.decisionId}`, { key: ADMIN_KEY });
    expect(logged.body.outcomes.map((o: { outcome: string }) => o.outcome)).toEqual(['impression', 'click']);
  });

  it('lets browsers on its origins call the API (CORS), until it is revoked', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/v1/decide`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    expect((await preflight(SHOP)).headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(
      (await preflight('https://evil.example.com')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    const extra = await server.call('POST', '/v1/keys', {
      key: ADMIN_KEY,
      body: { label: 'm', scopes: ['publishable'], origins: ['https://m.example.com'], channels: ['app'] },
    });
    expect((await preflight('https://m.example.com')).headers.get('access-control-allow-origin')).toBe(
      'https://m.example.com',
    );
    // A rotation keeps what the key may do.
    const rotated = await server.call('POST', `/v1/keys/${extra.body.id}/rotate`, {
      key: ADMIN_KEY,
      body: { graceSeconds: 0 },
    });
    expect(rotated.body).toMatchObject({ origins: ['https://m.example.com'], channels: ['app'] });
    expect(rotated.body.key).toMatch(/^nbp_/);
    await server.call('DELETE', `/v1/keys/${rotated.body.id}`, { key: ADMIN_KEY });
    expect((await preflight('https://m.example.com')).headers.get('access-control-allow-origin')).toBeNull();
    const gone = await page('/v1/decide', { channel: 'app' }, 'https://m.example.com', extra.body.key);
    expect(gone.status).toBe(401);
  });

  it('serves the snippet to other sites', async () => {
    const r = await fetch(`${server.url}/snippet.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(r.headers.get('content-type')).toMatch(/javascript/);
    expect(await r.text()).toContain('/v1/decide');
  });
});

describe('a server without a customer token secret', () => {
  it('says so when a token arrives', async () => {
    const server = await startServer(catalogSource);
    const r = await server.call('POST', '/v1/decide', {
      body: { channel: 'web', customerToken: await token('C00042') },
    });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/customerTokenSecret/);
    await server.stop();
  });
});
