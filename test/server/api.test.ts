import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action, smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer, testClock, testDay } from './harness.ts';

const catalogDoc = smallCatalogDoc({
  actions: [
    action('A1', 'Sales', 'Cards', { value: 10, eligibility: 'customer.age >= 18' }),
    action('A2', 'Sales', 'Cards', { value: 20, eligibility: 'customer.age >= 18' }),
    action('B1', 'Sales', 'Loans', { value: 5 }),
    action('R1', 'Retention', 'Care', { value: 8 }),
    action('Limited', 'Info', 'News', { value: 1, budget: { maxPerDay: 1 } }),
  ],
  contactPolicies: [{ id: 'pause', type: 'pauseAfterReject', days: 7 }],
});

let s: Running;
beforeAll(async () => {
  s = await startServer(JSON.stringify(catalogDoc), { clock: testClock });
  expect(
    (await s.call('PUT', '/v1/customers/c1', { key: ADMIN_KEY, body: { attributes: { age: 30 } } })).status,
  ).toBe(201);
});
afterAll(async () => s.stop());

const decide = (body: unknown, key?: string | null) => s.call('POST', '/v1/decide', { body, key });

describe('authentication', () => {
  it('health needs no key', async () => {
    const res = await s.call('GET', '/health', { key: null });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect((await s.call('GET', '/v1/health', { key: null })).status).toBe(200);
  });

  it('401 without a key or with a wrong one, 403 for the decision key on admin routes', async () => {
    const none = await decide({ channel: 'web' }, null);
    expect(none.status).toBe(401);
    expect(none.body.field).toBe('headers.authorization');
    expect((await decide({ channel: 'web' }, 'wrong-key')).status).toBe(401);
    const forbidden = await s.call('GET', '/v1/catalog');
    expect(forbidden.status).toBe(403);
    expect((await decide({ channel: 'web' }, ADMIN_KEY)).status).toBe(200);
  });
});

describe('POST /v1/decide', () => {
  it('answers with ranked actions and logs the decision', async () => {
    const res = await decide({ customerId: 'c1', channel: 'web', limit: 3 });
    expect(res.status).toBe(200);
    const { decisionId, actions } = res.body;
    expect(typeof decisionId).toBe('string');
    expect(actions.map((a: { actionId: string }) => a.actionId)).toEqual(['A2', 'R1', 'B1']);
    expect(actions[0]).toMatchObject({
      issue: 'Sales',
      group: 'Cards',
      treatment: { title: 'A2 on web' },
      rank: 1,
    });
    expect(actions[0].priority).toBeCloseTo(actions[0].propensity * 20);
    const logged = await s.call('GET', `/v1/decisions/${decisionId}`);
    expect(logged.status).toBe(200);
    expect(logged.body.actions.map((a: { probability: number }) => a.probability)).toEqual([1, 1, 1]);
    expect(logged.body.candidates.map((c: { actionId: string }) => c.actionId)).toEqual(
      expect.arrayContaining(['A1', 'A2', 'B1', 'R1']),
    );
    expect(logged.body.catalogVersion).toBe(1);
    expect(logged.body.modelVersion).toMatch(/^adaptiveBinnedBayes#/);
    expect(logged.body.outcomes).toEqual([]);
  });

  it('decides for an anonymous visitor with only the rules that need no profile', async () => {
    const res = await decide({ channel: 'web', limit: 5 });
    expect(res.status).toBe(200);
    expect(res.body.customerId).toBeNull();
    const ids = res.body.actions.map((a: { actionId: string }) => a.actionId);
    expect(ids).not.toContain('A1');
    expect(ids).not.toContain('A2');
  });

  it('spends budgets: an action with a daily budget of 1 is chosen once a day', async () => {
    for (let i = 0; i < 3; i++) await decide({ channel: 'email', limit: 10 });
    const day = testDay();
    expect((await s.store.budgetUsage(['Limited'], day)).get('Limited')).toEqual({ today: 1, total: 1 });
    const last = await decide({ channel: 'email', limit: 10 });
    const logged = await s.call('GET', `/v1/decisions/${last.body.decisionId}`);
    expect(logged.body.dropped).toContainEqual(
      expect.objectContaining({ actionId: 'Limited', stage: 'budget' }),
    );
  });

  it.each([
    ['malformed JSON', '{"channel":', 400, 'body'],
    ['a wrong type', { channel: 5 }, 400, 'body.channel'],
    ['a missing field', { customerId: 'c1' }, 400, 'body.channel'],
    ['an unknown channel', { channel: 'fax' }, 400, 'body.channel'],
    ['an unknown field', { channel: 'web', colour: 'red' }, 400, 'body.colour'],
    ['a limit below 1', { channel: 'web', limit: 0 }, 400, 'body.limit'],
    ['a limit above the catalog maximum', { channel: 'web', limit: 50 }, 400, 'body.limit'],
    ['context that is not an object', { channel: 'web', context: [1] }, 400, 'body.context'],
    ['an unknown customer', { channel: 'web', customerId: 'ghost' }, 404, 'body.customerId'],
  ])('rejects %s', async (_name, body, status, field) => {
    const res = await decide(body);
    expect(res.status).toBe(status);
    expect(res.body.field).toBe(field);
    expect(res.body.message).toContain(field);
  });

  it('rejects a body over the limit with 413', async () => {
    const res = await decide({ channel: 'web', context: { blob: 'x'.repeat(300 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body.field).toBe('body');
  });

  it('rejects an unsupported content type with 415', async () => {
    const res = await s.call('POST', '/v1/decide', {
      body: 'channel=web',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
  });
});

describe('POST /v1/outcomes', () => {
  it('is idempotent, shows up in the decision and teaches the model', async () => {
    const d = (await decide({ customerId: 'c1', channel: 'web', limit: 1 })).body;
    const actionId = d.actions[0].actionId;
    const before = d.actions[0].propensity;
    const body = { decisionId: d.decisionId, actionId, outcome: 'accept', value: 25 };
    const first = await s.call('POST', '/v1/outcomes', { body });
    expect(first.status).toBe(200);
    expect(first.body.duplicate).toBe(false);
    const again = await s.call('POST', '/v1/outcomes', { body });
    expect(again.body.duplicate).toBe(true);
    const logged = await s.call('GET', `/v1/decisions/${d.decisionId}`);
    expect(logged.body.outcomes).toEqual([
      { actionId, outcome: 'accept', value: 25, at: first.body.outcome.at },
    ]);
    const report = s.engine.modelReports().find((r) => r.actionId === actionId)!;
    expect(report.responses).toBe(1);
    const next = (await decide({ customerId: 'c1', channel: 'web', limit: 5 })).body.actions.find(
      (a: { actionId: string }) => a.actionId === actionId,
    );
    expect(next?.propensity).toBeGreaterThan(before);
  });

  it('a rejection pauses the action at once (contact policy sees the outcome)', async () => {
    await s.call('PUT', '/v1/customers/c2', { key: ADMIN_KEY, body: { attributes: { age: 50 } } });
    const d = (await decide({ customerId: 'c2', channel: 'web', limit: 1 })).body;
    const actionId = d.actions[0].actionId;
    await s.call('POST', '/v1/outcomes', { body: { decisionId: d.decisionId, actionId, outcome: 'reject' } });
    const next = await decide({ customerId: 'c2', channel: 'web', limit: 5 });
    expect(next.body.actions.map((a: { actionId: string }) => a.actionId)).not.toContain(actionId);
    const logged = await s.call('GET', `/v1/decisions/${next.body.decisionId}`);
    expect(logged.body.dropped).toContainEqual(expect.objectContaining({ actionId, stage: 'contactPolicy' }));
  });

  it.each([
    [
      'an unknown decision',
      { decisionId: 'nope', actionId: 'A1', outcome: 'accept' },
      404,
      'body.decisionId',
    ],
    ['an unknown outcome type', { decisionId: 'x', actionId: 'A1', outcome: 'love' }, 400, 'body.outcome'],
    [
      'a value that is not a number',
      { decisionId: 'x', actionId: 'A1', outcome: 'convert', value: 'lots' },
      400,
      'body.value',
    ],
  ])('rejects %s', async (_name, body, status, field) => {
    const res = await s.call('POST', '/v1/outcomes', { body });
    expect(res.status).toBe(status);
    expect(res.body.field).toBe(field);
  });

  it('rejects an action that was not chosen in the decision', async () => {
    const d = (await decide({ channel: 'web', limit: 1 })).body;
    const res = await s.call('POST', '/v1/outcomes', {
      body: { decisionId: d.decisionId, actionId: 'Nope', outcome: 'accept' },
    });
    expect(res.status).toBe(404);
    expect(res.body.field).toBe('body.actionId');
  });

  it('GET an unknown decision is a 404 naming the id', async () => {
    const res = await s.call('GET', '/v1/decisions/unknown');
    expect(res.status).toBe(404);
    expect(res.body.field).toBe('params.id');
  });
});

describe('customers', () => {
  const admin = { key: ADMIN_KEY };

  it('creates, replaces, reads and type-checks declared attributes', async () => {
    expect(
      (await s.call('PUT', '/v1/customers/k1', { ...admin, body: { attributes: { age: 20, note: 'x' } } }))
        .status,
    ).toBe(201);
    expect(
      (await s.call('PUT', '/v1/customers/k1', { ...admin, body: { attributes: { age: 21 } } })).status,
    ).toBe(200);
    const got = await s.call('GET', '/v1/customers/k1', admin);
    expect(got.body.attributes).toEqual({ age: 21 });
    const bad = await s.call('PUT', '/v1/customers/k1', { ...admin, body: { attributes: { age: 'old' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('body.attributes.age');
    const missing = await s.call('PUT', '/v1/customers/k1', { ...admin, body: { age: 3 } });
    expect(missing.status).toBe(400);
    expect((await s.call('GET', '/v1/customers/nobody', admin)).status).toBe(404);
  });

  it('DELETE erases the profile, its decisions, outcomes and history (GDPR)', async () => {
    await s.call('PUT', '/v1/customers/gone', { ...admin, body: { attributes: { age: 33 } } });
    const d = (await decide({ customerId: 'gone', channel: 'web', limit: 1 })).body;
    await s.call('POST', '/v1/outcomes', {
      body: { decisionId: d.decisionId, actionId: d.actions[0].actionId, outcome: 'click' },
    });
    const res = await s.call('DELETE', '/v1/customers/gone', admin);
    expect(res.status).toBe(200);
    expect(res.body.erased).toEqual({
      customer: true,
      decisions: 1,
      outcomes: 1,
      interactions: 2,
      events: 0,
    });
    expect((await s.call('GET', '/v1/customers/gone', admin)).status).toBe(404);
    expect((await s.call('GET', `/v1/decisions/${d.decisionId}`)).status).toBe(404);
    expect((await decide({ customerId: 'gone', channel: 'web' })).status).toBe(404);
    expect((await s.call('DELETE', '/v1/customers/gone', admin)).status).toBe(404);
  });
});

describe('catalog', () => {
  const admin = { key: ADMIN_KEY };

  it('GET returns the active version with its source', async () => {
    const res = await s.call('GET', '/v1/catalog', admin);
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(1);
    expect(res.body.catalog.actions).toHaveLength(5);
  });

  it('PUT rejects an invalid catalog with the location and keeps the active one', async () => {
    const broken = structuredClone(catalogDoc) as { actions: Array<Record<string, unknown>> };
    broken.actions[1]!.eligibility = 'customer.agee > 3';
    const res = await s.call('PUT', '/v1/catalog', { ...admin, body: broken });
    expect(res.status).toBe(400);
    expect(res.body.field).toBe('catalog.actions[1].eligibility');
    expect(res.body.message).toContain("unknown field 'agee'");
    expect((await s.call('GET', '/v1/catalog', admin)).body.version).toBe(1);
  });

  it('PUT stores a new version (JSON or YAML), keeps the old, and ignores an identical one', async () => {
    const same = await s.call('PUT', '/v1/catalog', { ...admin, body: catalogDoc });
    expect(same.status).toBe(200);
    expect(same.body.created).toBe(false);
    const yaml = `name: yaml-version\nchannels: [{ id: web }]\nactions:\n  - { id: Only, name: Only, issue: I, group: G, treatments: { web: { title: T } } }\n`;
    const created = await s.call('PUT', '/v1/catalog', {
      ...admin,
      body: yaml,
      headers: { 'content-type': 'application/yaml' },
    });
    expect(created.status).toBe(201);
    expect(created.body.version).toBe(2);
    expect(created.body.warnings).toEqual([]);
    const versions = await s.call('GET', '/v1/catalog/versions', admin);
    expect(
      versions.body.versions.map((v: { version: number; active: boolean }) => [v.version, v.active]),
    ).toEqual([
      [1, false],
      [2, true],
    ]);
    expect((await s.call('GET', '/v1/catalog/versions/1', admin)).body.catalog.actions).toHaveLength(5);
    const d = await decide({ channel: 'web' });
    expect(d.body.catalogVersion).toBe(2);
    expect(d.body.actions.map((a: { actionId: string }) => a.actionId)).toEqual(['Only']);
    // A share per channel is valid but ignored: the answer says so. Then back to the first catalog.
    const perChannel = await s.call('PUT', '/v1/catalog', {
      ...admin,
      body: `${yaml}measurement: { channels: { web: { controlShare: 0.2 } } }\n`,
      headers: { 'content-type': 'application/yaml' },
    });
    expect([perChannel.status, perChannel.body.warnings.map((w: { path: string }) => w.path)]).toEqual([
      201,
      ['measurement.channels.web'],
    ]);
    expect((await s.call('PUT', '/v1/catalog', { ...admin, body: catalogDoc })).body.version).toBe(4);
  });
});

describe('docs', () => {
  it('serves the OpenAPI document and the docs page', async () => {
    const spec = await s.call('GET', '/docs/json', { key: null });
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/decide',
        '/v1/outcomes',
        '/v1/decisions/{id}',
        '/v1/customers/{id}',
        '/v1/catalog',
      ]),
    );
    const page = await s.call('GET', '/docs', { key: null });
    expect([200, 302]).toContain(page.status);
  });

  it('unknown routes get a JSON 404', async () => {
    const res = await s.call('GET', '/v1/nothing');
    expect(res.status).toBe(404);
    expect(res.body.message).toContain('/v1/nothing');
  });
});
