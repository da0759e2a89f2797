// Property-based fuzzing of every route from the OpenAPI document: no request may get a 5xx or a status the
// document does not declare. `npm test` runs a fixed-seed sample; NEXTBEST_FUZZ_RUNS=20000 (and optionally
// NEXTBEST_FUZZ_SEED) runs the long mode and prints the tally.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FuzzRequest, operationsOf, type Pools, requestFor } from './fuzz.ts';
import { ADMIN_KEY, API_KEY, type Running, startServer } from './harness.ts';

const RUNS = Number(process.env.NEXTBEST_FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.NEXTBEST_FUZZ_SEED ?? 20261202);
const catalogSource = readFileSync(join(import.meta.dirname, '../../examples/telco/catalog.yaml'), 'utf8');

let server: Running;
const pools: Pools = {
  customerIds: [],
  decisionIds: [],
  actionIds: [],
  channels: ['web', 'app', 'call-centre', 'chat', 'email', 'push', 'sms'],
  eventTypes: ['transaction', 'invoice', 'call', 'router-fault', 'moving-house', 'survey'],
};

beforeAll(async () => {
  server = await startServer(catalogSource);
  for (let i = 0; i < 5; i++) {
    const id = `fuzz-${i}`;
    await server.call('PUT', `/v1/customers/${id}`, {
      key: ADMIN_KEY,
      body: { attributes: { age: 30 + i, segment: 'consumer', tenureMonths: 12 * i } },
    });
    pools.customerIds.push(id);
    const d = await server.call('POST', '/v1/decide', { body: { customerId: id, channel: 'web' } });
    if (d.status === 200) {
      pools.decisionIds.push(d.body.decisionId);
      for (const a of d.body.actions) pools.actionIds.push(a.actionId);
    }
  }
  pools.actionIds.push(...server.engine.activeCatalog.catalog.actions.slice(0, 5).map((a) => a.id));
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe('fuzzing every route from the OpenAPI document', () => {
  it(`${RUNS} generated requests: no 5xx, only declared statuses`, async () => {
    const doc = server.app.swagger();
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThan(25);
    const keys = { admin: ADMIN_KEY, api: API_KEY };
    const all = fc.oneof(...operations.map((op) => requestFor(doc, op, pools, keys)));
    const declared = new Map(operations.map((op) => [`${op.method} ${op.path}`, op.statuses]));
    const requests = fc.sample(all, { numRuns: RUNS, seed: SEED });
    const failures: Array<{ request: FuzzRequest; status: number; body: string }> = [];
    const tally = new Map<number, number>();
    for (const request of requests) {
      const res = await server.app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: request.headers,
        ...(request.payload === undefined ? {} : { payload: request.payload }),
      });
      tally.set(res.statusCode, (tally.get(res.statusCode) ?? 0) + 1);
      const ok = res.statusCode < 500 && declared.get(request.operation)!.has(res.statusCode);
      // A path that no longer matches its route (an empty or slash-carrying id) is the not-found handler's 404.
      const unrouted = res.statusCode === 404 && res.body.includes('"no route ');
      if (!ok && !unrouted)
        failures.push({
          request: { ...request, payload: request.payload?.slice(0, 300) },
          status: res.statusCode,
          body: res.body.slice(0, 300),
        });
    }
    const covered = new Set(requests.map((r) => r.operation));
    if (process.env.NEXTBEST_FUZZ_RUNS)
      console.log(
        `fuzz: ${requests.length} requests over ${covered.size} operations, ${failures.length} failures; statuses ${JSON.stringify(Object.fromEntries([...tally].sort()))}`,
      );
    const kinds = new Map<string, number>();
    for (const f of failures) {
      const k = `${f.request.operation} -> ${f.status}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    expect(covered.size).toBe(operations.length);
    expect({ kinds: Object.fromEntries(kinds), first: failures.slice(0, 3) }).toEqual({
      kinds: {},
      first: [],
    });
  }, 600_000);
});
