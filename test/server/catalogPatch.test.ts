import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG } from '../../src/cli/paths.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

let s: Running;
beforeAll(async () => {
  s = await startServer(readFileSync(BUNDLED_CATALOG, 'utf8'));
});
afterAll(async () => s.stop());

describe('PATCH /v1/catalog/actions/:id', () => {
  it('changes a lever and a budget as a new version, keeping the YAML comments', async () => {
    const res = await s.call('PATCH', '/v1/catalog/actions/LoyaltyDiscount', {
      key: ADMIN_KEY,
      body: { lever: 1.7, budget: { maxPerDay: 120 } },
    });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(2);
    const catalog = await s.call('GET', '/v1/catalog', { key: ADMIN_KEY });
    const action = catalog.body.catalog.actions.find((a: { id: string }) => a.id === 'LoyaltyDiscount');
    expect(action).toMatchObject({ lever: 1.7, budget: { maxPerDay: 120 } });
    expect(catalog.body.source).toContain(
      '# ---------------------------------------------------------------- Service',
    );
    const cleared = await s.call('PATCH', '/v1/catalog/actions/LoyaltyDiscount', {
      key: ADMIN_KEY,
      body: { budget: null },
    });
    expect(cleared.status).toBe(201);
    const after = await s.call('GET', '/v1/catalog', { key: ADMIN_KEY });
    expect(
      after.body.catalog.actions.find((a: { id: string }) => a.id === 'LoyaltyDiscount').budget,
    ).toBeUndefined();
  });

  it.each([
    [{ lever: -1 }, 'body.lever'],
    [{ budget: { maxPerDay: 0 } }, 'body.budget.maxPerDay'],
    [{}, 'body'],
  ])('names the field of a bad change %j', async (body, field) => {
    const res = await s.call('PATCH', '/v1/catalog/actions/LoyaltyDiscount', { key: ADMIN_KEY, body });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
  });

  it('404s an unknown action and needs the admin key', async () => {
    const unknown = await s.call('PATCH', '/v1/catalog/actions/Nope', { key: ADMIN_KEY, body: { lever: 2 } });
    expect(unknown.status).toBe(404);
    const api = await s.call('PATCH', '/v1/catalog/actions/LoyaltyDiscount', { body: { lever: 2 } });
    expect(api.status).toBe(403);
  });
});
