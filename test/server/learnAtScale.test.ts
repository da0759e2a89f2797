// Several nodes learn together: two server processes on one database each get half of a stream of decisions
// and outcomes; after their next flush (the model fold, every 2 s) both predict what one process that learned
// the whole stream predicts. And `serve --workers 2` runs two processes on one port that learn together.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { Engine } from '../../src/engine/engine.ts';
import type { Features } from '../../src/learn/learner.ts';
import { openStore } from '../../src/store/open.ts';
import type { DecisionRecord } from '../../src/store/store.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';
import { ADMIN_KEY, callUrl, modelResponses, type ServerProcess, spawnServer, until } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-scale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CUSTOMERS = 40;
const STREAM = 120;
/**
 * The catalog explores, so that every action's model learns. Each action has a group of its own: a new action's
 * model borrows its group's prior when it is first scored, which depends on when a process first decided, not
 * on the stream learned (the reference below never decides).
 */
const catalogDoc = () =>
  smallCatalogDoc({
    learning: { explorer: 'epsilonGreedy', exploration: 0.3 },
    actions: [
      action('A1', 'Sales', 'Cards', { value: 10 }),
      action('A2', 'Sales', 'PremiumCards', { value: 20 }),
      action('B1', 'Sales', 'Loans', { value: 5 }),
      action('R1', 'Retention', 'Care', { value: 8 }),
    ],
  });

function profile(i: number) {
  const rnd = mulberry32(1000 + i);
  return {
    age: 18 + Math.floor(rnd() * 60),
    segment: rnd() < 0.4 ? 'gold' : 'basic',
    balance: Math.round(rnd() * 5000),
  };
}

/** One step of the stream: a decision for a customer and its outcome (older customers accept more). */
async function step(url: string, i: number, rnd: () => number) {
  const c = i % CUSTOMERS;
  const d = await callUrl(url, 'POST', '/v1/decide', { customerId: `C${c}`, channel: 'web', limit: 1 });
  expect(d.status).toBe(200);
  const accept = rnd() < profile(c).age / 100;
  const o = await callUrl(url, 'POST', '/v1/outcomes', {
    decisionId: d.body.decisionId,
    actionId: d.body.actions[0].actionId,
    outcome: accept ? 'accept' : 'reject',
  });
  expect(o.status).toBe(200);
}

/** A few probe decides: their logged candidates carry each propensity as the server predicted it. */
async function probe(url: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of [0, 7, 13, 21, 34]) {
    const d = await callUrl(url, 'POST', '/v1/decide', { customerId: `C${c}`, channel: 'web', limit: 1 });
    expect(d.status).toBe(200);
    out.push(d.body.decisionId);
  }
  return out;
}

/**
 * One process that learned the whole stream: a fresh engine that is given every decision of the shared log
 * and records its outcomes in the order the stored models learned them (by fold, then sequence number: on
 * PostgreSQL, which folds in commit order, concurrent outcomes may be folded out of sequence order), through
 * the same outcome path the servers use.
 */
async function singleProcess(sharedUrl: string, probes: readonly string[]) {
  const shared = await openStore(sharedUrl);
  const store = await openStore(':memory:');
  const engine = await Engine.open(store, JSON.stringify(catalogDoc()), {
    seed: 1,
    checkpointMs: 0,
    expiryMs: 0,
  });
  for (let c = 0; c < CUSTOMERS; c++) await engine.putCustomer(`C${c}`, profile(c));
  const probed: DecisionRecord[] = [];
  for (const id of probes) probed.push((await shared.getDecision(id))!);
  const log = await shared.learnedOutcomesAfter(0, 10_000);
  expect(log.every((o) => o.foldedIn > 0)).toBe(true);
  log.sort((a, b) => a.foldedIn - b.foldedIn || a.seq - b.seq);
  for (const o of log) {
    if (o.outcome === 'expired') throw new Error('no response window expires in this test');
    const decision = (await shared.getDecision(o.decisionId))!;
    if (!(await store.getDecision(o.decisionId))) await store.commitDecision({ decision, contacts: [] });
    await engine.recordOutcome({ decisionId: o.decisionId, actionId: o.actionId, outcome: o.outcome });
  }
  await shared.close();
  return { engine, probed };
}

describe.each(DIALECTS)('several nodes learning together ($name)', (dialect) => {
  it('two servers with half the stream each predict, after a flush, what one process with all of it predicts', {
    timeout: 90_000,
  }, async () => {
    const db = dialect.freshUrl();
    const catalog = join(dir, `catalog-${dialect.name}.json`);
    writeFileSync(catalog, JSON.stringify(catalogDoc()));
    const args = ['--db', db, '--catalog', catalog, '--no-demo-data'];
    const a = await spawnServer(args);
    const b = await spawnServer(args);
    let probes: string[] = [];
    try {
      for (let c = 0; c < CUSTOMERS; c++) {
        const put = await callUrl(a.url, 'PUT', `/v1/customers/C${c}`, { attributes: profile(c) }, ADMIN_KEY);
        expect(put.status).toBeLessThan(300);
      }
      const rnd = mulberry32(7);
      // Eight at a time, alternating between the two servers: half of the stream goes to each.
      for (let i = 0; i < STREAM; i += 8)
        await Promise.all(
          Array.from({ length: 8 }, (_, k) => step(((i + k) % 2 === 0 ? a : b).url, i + k, rnd)),
        );
      // Each learned its own half at once and takes in the other's at its next flush (every 2 s; the wait is
      // long because CI runs this beside the whole suite on two cores).
      let counts: number[] = [];
      await until(async () => {
        counts = [await modelResponses(a.url), await modelResponses(b.url)];
        return counts.every((n) => n === STREAM);
      }, 45_000).catch((error: unknown) => {
        // Say what each server holds. Seen once in five runs until a replayed fold kept the models others had
        // folded meanwhile (test/engine/fold.test.ts).
        throw new Error(
          `${dialect.name}: model responses ${counts.join(' and ')}, expected ${STREAM} on both`,
          {
            cause: error,
          },
        );
      });
      // A process that learned its last outcomes live holds them on top of its last fold, in its own order;
      // after one more flush each (every 2 s) both hold the stored models: probe until the two agree.
      const shared = await openStore(db);
      try {
        await until(async () => {
          const ids = [...(await probe(a.url)), ...(await probe(b.url))];
          const logged = await Promise.all(ids.map(async (id) => (await shared.getDecision(id))!));
          probes = ids;
          const half = logged.length / 2;
          return logged
            .slice(0, half)
            .every((d, k) =>
              d.candidates.every((c, j) => c.propensity === logged[k + half]!.candidates[j]!.propensity),
            );
        }, 45_000);
      } finally {
        await shared.close();
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const { engine: one, probed } = await singleProcess(db, probes);
    try {
      // Both servers predict exactly what one process that learned the whole stream in the same order predicts,
      // and so each other: a model restored from the store and taught the rest predicts as the model that
      // learned all of it in memory (test/learn/conformance.ts), and folds teach every outcome once.
      let compared = 0;
      const half = probed.length / 2;
      for (const [k, d] of probed.entries()) {
        const twin = probed[(k + half) % probed.length]!;
        for (const [j, c] of d.candidates.entries()) {
          expect(c.propensity).toBe(one.predict(c.actionId, d.features as Features));
          expect(c.propensity).toBe(twin.candidates[j]!.propensity);
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(10 * 4);
      // The probes are not trivial: some action's model learned something different per customer. (Not
      // necessarily the first candidate's: a model that has seen only one kind of response predicts its base
      // rate for everyone, and which actions the exploring servers tried enough is up to their random draws.)
      const spreads = probed[0]!.candidates.map(
        (_, j) => new Set(probed.map((d) => d.candidates[j]!.propensity.toFixed(6))).size,
      );
      expect(Math.max(...spreads), `distinct propensities per action: ${spreads.join(', ')}`).toBeGreaterThan(
        1,
      );
    } finally {
      await one.close();
    }
  });

  it('serve --workers 2: two processes on one port decide and learn together', {
    timeout: 60_000,
  }, async () => {
    const started = Date.now();
    const phase = (name: string) => `${name} after ${((Date.now() - started) / 1000).toFixed(1)} s`;
    const db = dialect.freshUrl();
    const catalog = join(dir, `catalog-workers-${dialect.name}.json`);
    writeFileSync(catalog, JSON.stringify(catalogDoc()));
    const server: ServerProcess = await spawnServer([
      '--db',
      db,
      '--catalog',
      catalog,
      '--no-demo-data',
      '--workers',
      '2',
    ]);
    try {
      // The primary and its two workers.
      const children = readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8')
        .trim()
        .split(/\s+/);
      expect(children).toHaveLength(2);
      for (let c = 0; c < CUSTOMERS; c++) {
        const put = await callUrl(
          server.url,
          'PUT',
          `/v1/customers/C${c}`,
          { attributes: profile(c) },
          ADMIN_KEY,
        );
        expect(put.status).toBeLessThan(300);
      }
      const rnd = mulberry32(3);
      for (let i = 0; i < 40; i += 8)
        await Promise.all(Array.from({ length: 8 }, (_, k) => step(server.url, i + k, rnd)));
      const streamed = phase('streamed');
      // Every answer, whichever worker gives it, holds all 40 once both have flushed.
      let seen: number[] = [];
      await until(async () => {
        seen = await Promise.all(Array.from({ length: 6 }, () => modelResponses(server.url)));
        return seen.every((n) => n === 40);
      }, 30_000).catch((error: unknown) => {
        throw new Error(`${dialect.name}: ${streamed}; model responses ${seen.join(', ')}, expected 40`, {
          cause: error,
        });
      });
    } finally {
      await server.stop();
    }
    // Stopping the primary stopped the workers.
    expect(server.child.exitCode).toBe(0);
  });
});
