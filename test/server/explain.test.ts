import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { action, smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const catalogDoc = smallCatalogDoc({
  actions: [
    action('Adult', 'Sales', 'Cards', { value: 10, eligibility: 'customer.age >= 18' }),
    action('Loan', 'Sales', 'Loans', { value: 5 }),
    action('Care', 'Retention', 'Care', { value: 8 }),
  ],
});

let s: Running;
beforeAll(async () => {
  s = await startServer(JSON.stringify(catalogDoc));
  for (const [id, age] of [
    ['young', 16],
    ['old', 70],
  ] as const)
    await s.call('PUT', `/v1/customers/${id}`, { key: ADMIN_KEY, body: { attributes: { age } } });
  // Teach Loan: old customers take it, young ones do not.
  for (let i = 0; i < 60; i++) {
    const who = i % 2 === 0 ? 'old' : 'young';
    const d = await s.call('POST', '/v1/decide', { body: { customerId: who, channel: 'web', limit: 3 } });
    const loan = d.body.actions.find((a: { actionId: string }) => a.actionId === 'Loan');
    if (loan)
      await s.call('POST', '/v1/outcomes', {
        body: {
          decisionId: d.body.decisionId,
          actionId: 'Loan',
          outcome: who === 'old' ? 'accept' : 'reject',
        },
      });
  }
});
afterAll(async () => s.stop());

describe('decision explanations', () => {
  it('inline: the dropped action names its rule, ranked ones their scores and the features behind them', async () => {
    const res = await s.call('POST', '/v1/decide', {
      body: { customerId: 'young', channel: 'web', limit: 1, explain: true },
    });
    expect(res.status).toBe(200);
    const e = res.body.explanation;
    expect(e.decisionId).toBe(res.body.decisionId);
    expect(e.explainedWith).toBe(e.modelVersion);
    const byId = Object.fromEntries(e.candidates.map((c: { actionId: string }) => [c.actionId, c]));
    expect(byId.Adult).toEqual({
      actionId: 'Adult',
      status: 'dropped',
      stage: 'eligibility',
      reason: 'dropped at eligibility: rule is false: customer.age >= 18',
      code: 'ruleFalse',
    });
    expect(e.candidates[0]).toMatchObject({
      status: 'chosen',
      rank: 1,
      actionId: res.body.actions[0].actionId,
    });
    const ranked = e.candidates.filter((c: { status: string }) => c.status !== 'dropped');
    expect(ranked).toHaveLength(2);
    expect(ranked.map((c: { status: string }) => c.status)).toEqual(['chosen', 'notChosen']);
    // The loan model learned that age matters: it is the feature that moved the young customer's propensity.
    expect(byId.Loan.features[0].name).toBe('customer.age');
    expect(byId.Loan.features[0].contribution).toBeLessThan(0);
    expect(byId.Loan.priority).toBeCloseTo(byId.Loan.propensity * 5);
  });

  it('GET /v1/decisions/:id/explain explains a logged decision, and 404s an unknown one', async () => {
    const d = await s.call('POST', '/v1/decide', { body: { customerId: 'old', channel: 'web', limit: 3 } });
    expect(d.body.explanation).toBeUndefined();
    const res = await s.call('GET', `/v1/decisions/${d.body.decisionId}/explain`);
    expect(res.status).toBe(200);
    expect(res.body.candidates.map((c: { status: string }) => c.status)).toEqual([
      'chosen',
      'chosen',
      'chosen',
    ]);
    const loan = res.body.candidates.find((c: { actionId: string }) => c.actionId === 'Loan');
    expect(loan.features[0]).toMatchObject({ name: 'customer.age', value: 70 });
    expect(loan.features[0].contribution).toBeGreaterThan(0);
    // In German when Accept-Language asks for it (the dashboard and the agent page send the page's language),
    // in the logged decision and the customer export too; the codes stay the same.
    const young = await s.call('POST', '/v1/decide', {
      body: { customerId: 'young', channel: 'web', limit: 3 },
    });
    const id = young.body.decisionId;
    const de = { 'accept-language': 'de-CH, de;q=0.9, en;q=0.5' };
    const german = await s.call('GET', `/v1/decisions/${id}/explain`, { headers: de });
    const english = await s.call('GET', `/v1/decisions/${id}/explain`, {
      headers: { 'accept-language': 'fr, en' },
    });
    const adult = (r: typeof german) =>
      r.body.candidates.find((c: { actionId: string }) => c.actionId === 'Adult');
    expect(adult(german)).toMatchObject({
      code: 'ruleFalse',
      reason: 'entfernt bei Berechtigung: Regel ist falsch: customer.age >= 18',
    });
    expect(adult(english).reason).toBe('dropped at eligibility: rule is false: customer.age >= 18');
    const chosen = german.body.candidates[0];
    expect(chosen.reason).toMatch(/^1\.-höchste Priorität [\d,]+ = Wahrscheinlichkeit [\d,]+ × Wert/);
    expect(german.body.candidates.map((c: { code: string }) => c.code)).toEqual(
      english.body.candidates.map((c: { code: string }) => c.code),
    );
    const logged = await s.call('GET', `/v1/decisions/${id}`, { headers: de });
    expect(logged.body.dropped).toEqual([
      {
        actionId: 'Adult',
        stage: 'eligibility',
        code: 'ruleFalse',
        reason: 'Regel ist falsch: customer.age >= 18',
      },
    ]);
    const exported = await s.call('GET', '/v1/customers/young/export', { headers: de, key: ADMIN_KEY });
    expect(exported.body.decisions.at(-1).dropped[0]).toMatchObject({
      code: 'ruleFalse',
      reason: /^Regel ist falsch/,
    });
    const missing = await s.call('GET', '/v1/decisions/nope/explain');
    expect(missing.status).toBe(404);
    expect(missing.body.field).toBe('params.id');
  });
});
