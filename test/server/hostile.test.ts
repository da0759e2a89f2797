// Hostile input through the real HTTP server: every client mistake is a 4xx that names the field, never a
// 500, a hang or a crash; the server answers normally afterwards.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_LIMITS, ID_MAX_LENGTH } from '../../src/core/limits.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const catalogSource = readFileSync(join(import.meta.dirname, '../../examples/telco/catalog.yaml'), 'utf8');
let s: Running;

const nested = (levels: number) => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};
const nestedText = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

beforeAll(async () => {
  s = await startServer(catalogSource);
  const put = await s.call('PUT', '/v1/customers/c1', { key: ADMIN_KEY, body: { attributes: { age: 40 } } });
  expect(put.status).toBe(201);
}, 60_000);
afterAll(async () => s?.stop());

describe('hostile input', () => {
  it('deep nesting in context, attributes and payload is a 400 naming the path, at any depth', async () => {
    for (const levels of [DATA_LIMITS.depth + 1, 1500, 20_000]) {
      const decide = await s.call('POST', '/v1/decide', {
        body: `{"customerId":"c1","channel":"web","context":{"x":${nestedText(levels)}}}`,
      });
      expect(decide.status).toBe(400);
      expect(decide.body.field).toMatch(/^body\.context\.x(\.a)*$/);
      expect(decide.body.message).toMatch(/nested deeper than 16 levels/);
      const put = await s.call('PUT', '/v1/customers/c2', {
        key: ADMIN_KEY,
        body: `{"attributes":{"deep":${nestedText(levels)}}}`,
      });
      expect(put.status).toBe(400);
      expect(put.body.field).toMatch(/^body\.attributes\.deep/);
      const event = await s.call('POST', '/v1/events', {
        body: `{"customerId":"c1","type":"call","timestamp":"2026-01-01T00:00:00Z","payload":{"reason":${nestedText(levels)}}}`,
      });
      expect(event.status).toBe(400);
      expect(event.body.field).toMatch(/payload\.reason/);
    }
    // Fifteen levels are fine.
    const ok = await s.call('POST', '/v1/decide', {
      body: { customerId: 'c1', channel: 'web', context: { x: nested(DATA_LIMITS.depth - 1) } },
    });
    expect(ok.status).toBe(200);
  });

  it('absurd numbers, long strings and long lists in free-form data are refused with the limit', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [1e300, /finite and at most 1000000000000000/],
      ['x'.repeat(DATA_LIMITS.stringLength + 1), /at most 10,000 characters/],
      [Array.from({ length: DATA_LIMITS.listItems + 1 }, () => 1), /at most 1,000 items/],
    ];
    for (const [value, message] of cases) {
      const r = await s.call('POST', '/v1/decide', {
        body: { customerId: 'c1', channel: 'web', context: { v: value } },
      });
      expect(r.status).toBe(400);
      expect(r.body.field).toBe('body.context.v');
      expect(r.body.message).toMatch(message);
    }
  });

  it('outcome values are finite and bounded, so the KPIs that sum them stay answerable', async () => {
    const d = await s.call('POST', '/v1/decide', { body: { customerId: 'c1', channel: 'web' } });
    const actionId = d.body.actions[0].actionId;
    for (const value of [1e308, -1e308, 1e16]) {
      const r = await s.call('POST', '/v1/outcomes', {
        body: { decisionId: d.body.decisionId, actionId, outcome: 'convert', value },
      });
      expect(r.status).toBe(400);
      expect(r.body.field).toBe('body.value');
    }
    const max = await s.call('POST', '/v1/outcomes', {
      body: { decisionId: d.body.decisionId, actionId, outcome: 'convert', value: DATA_LIMITS.maxNumber },
    });
    expect(max.status).toBe(200);
    // The engine refuses them too (library users, imports), and a log that holds some from elsewhere still
    // answers its KPIs, with sums held finite.
    await expect(
      s.engine.recordOutcome({ decisionId: d.body.decisionId, actionId, outcome: 'convert', value: 1e308 }),
    ).rejects.toThrow(/finite and at most/);
    for (let i = 0; i < 2; i++) {
      await s.store.recordOutcome({
        decisionId: d.body.decisionId,
        actionId,
        outcome: i === 0 ? 'accept' : 'convert',
        value: 1e308,
        at: Date.now(),
        customerId: 'c1',
        teaches: false,
        positive: false,
      });
    }
    for (const path of ['/v1/kpis', '/v1/kpis?by=arm,day', '/v1/kpis/series']) {
      const r = await s.call('GET', path, { key: ADMIN_KEY });
      expect(r.status).toBe(200);
    }
  });

  it('one id limit in the schema and the router: a longer id is a 400 naming it, a shorter unknown one a 404', async () => {
    for (const length of [101, 150, ID_MAX_LENGTH]) {
      const r = await s.call('GET', `/v1/customers/${'i'.repeat(length)}`, { key: ADMIN_KEY });
      expect(r.status).toBe(404);
      expect(r.body.message).toMatch(/unknown customer/);
    }
    for (const id of ['i'.repeat(ID_MAX_LENGTH + 1), 'ü'.repeat(ID_MAX_LENGTH + 1), 'i'.repeat(5000)]) {
      for (const path of [
        `/v1/customers/${encodeURIComponent(id)}`,
        `/v1/decisions/${encodeURIComponent(id)}`,
      ]) {
        const r = await s.call('GET', path, { key: ADMIN_KEY });
        expect(r.status).toBe(400);
        expect(r.body.field).toBe('params.id');
      }
    }
    const decide = await s.call('POST', '/v1/decide', {
      body: { customerId: 'c'.repeat(ID_MAX_LENGTH + 1), channel: 'web' },
    });
    expect(decide.status).toBe(400);
    expect(decide.body.field).toBe('body.customerId');
  });

  it('names prototype keys as unknown instead of finding Object.prototype', async () => {
    for (const type of ['valueOf', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const r = await s.call('POST', '/v1/events', {
        body: { customerId: 'c1', type, timestamp: '2026-01-01T00:00:00Z', payload: {} },
      });
      expect(r.status).toBe(400);
      expect(r.body.message).toMatch(/unknown event type/);
    }
    const field = await s.call('POST', '/v1/events', {
      body: {
        customerId: 'c1',
        type: 'call',
        timestamp: '2026-01-01T00:00:00Z',
        payload: { reason: 'x', toString: 1 },
      },
    });
    expect(field.status).toBe(400);
    expect(field.body.field).toBe('body.payload.toString');
    const proto = await s.call('POST', '/v1/decide', { body: '{"channel":"web","__proto__":{"x":1}}' });
    expect(proto.status).toBe(400);
  });

  it('wrong content types, malformed JSON and oversized batches are 4xx with the field', async () => {
    const xml = await s.call('POST', '/v1/decide', {
      body: '<decide/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.status).toBe(415);
    expect(xml.body.field).toBe('headers.content-type');
    const malformed = await s.call('POST', '/v1/decide', { body: '{"channel":' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.field).toBe('body');
    const event = {
      customerId: 'c1',
      type: 'call',
      timestamp: '2026-01-01T00:00:00Z',
      payload: { reason: 'x' },
    };
    const batch = await s.call('POST', '/v1/events', { body: Array.from({ length: 10_001 }, () => event) });
    expect(batch.status).toBe(400);
    expect(batch.body.message).toMatch(/at most 10,000 events/);
    const huge = await s.call('POST', '/v1/decide', {
      body: { channel: 'web', context: { s: 'x'.repeat(300 * 1024) } },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.field).toBe('body');
  });

  it('a bad timeline filter is a 400 and every kind filter answers', async () => {
    for (const kinds of ['decision', 'event', 'outcome', 'event,outcome']) {
      const r = await s.call('GET', `/v1/customers/c1/timeline?kinds=${kinds}`, { key: ADMIN_KEY });
      expect(r.status).toBe(200);
    }
    const bad = await s.call('GET', '/v1/customers/c1/timeline?kinds=nope', { key: ADMIN_KEY });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('querystring.kinds');
  });

  it('still answers normally after all of that', async () => {
    const r = await s.call('POST', '/v1/decide', { body: { customerId: 'c1', channel: 'web' } });
    expect(r.status).toBe(200);
    expect((await s.call('GET', '/v1/health', { key: null })).body.status).toBe('ok');
  });
});
