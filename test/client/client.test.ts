import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, clientTypesSource, openApiDocument } from '../../scripts/clientTypes.ts';
import { createClient, type Schemas } from '../../src/client/index.ts';
import { ADMIN_KEY, API_KEY, type Running, startServer } from '../server/harness.ts';

const catalog = readFileSync('examples/telco/catalog.yaml', 'utf8');
let s: Running;
beforeAll(async () => {
  s = await startServer(catalog);
});
afterAll(async () => s.stop());

describe('nextbest/client', () => {
  it('its types are what openapi-typescript makes of the current OpenAPI document', async () => {
    // When this fails after a route or schema change: npm run docs:client.
    const generated = await clientTypesSource(await openApiDocument());
    expect(readFileSync(CLIENT_TYPES_PATH, 'utf8')).toBe(generated);
  }, 30_000);

  it('decides, records the outcome and reads the decision, typed end to end', async () => {
    const admin = createClient({ baseUrl: s.url, key: ADMIN_KEY });
    const put = await admin.PUT('/v1/customers/{id}', {
      params: { path: { id: 'K1' } },
      body: { attributes: { age: 33, hasRouter: true, products: ['mobile'] } },
    });
    expect(put.response.status).toBe(201);
    const nb = createClient({ baseUrl: s.url, key: API_KEY });
    const decided = await nb.POST('/v1/decide', { body: { customerId: 'K1', channel: 'app', limit: 2 } });
    const decision: Schemas['Decision'] = decided.data!;
    expect(decision.actions.length).toBeGreaterThan(0);
    const first = decision.actions[0]!;
    const outcome = await nb.POST('/v1/outcomes', {
      body: { decisionId: decision.decisionId, actionId: first.actionId, outcome: 'accept' },
    });
    expect(outcome.data?.outcome.outcome).toBe('accept');
    const logged = await admin.GET('/v1/decisions/{id}', { params: { path: { id: decision.decisionId } } });
    expect(logged.data?.outcomes.map((o) => o.actionId)).toEqual([first.actionId]);
  });

  it('answers errors as the API sends them, with their stable code', async () => {
    const nb = createClient({ baseUrl: s.url, key: API_KEY });
    // @ts-expect-error: the types refuse a channel that is not a string, before any request is sent
    const wrong = await nb.POST('/v1/decide', { body: { channel: 42 } });
    expect(wrong.error?.code).toBe('NB_ERR_VALIDATION');
    expect(wrong.error?.field).toBe('body.channel');
    const forbidden = await nb.GET('/v1/catalog');
    expect([forbidden.response.status, forbidden.error?.code]).toEqual([403, 'NB_ERR_FORBIDDEN']);
  });
});
