// Retention across processes: two server processes on one database sweep the decision log at once (a retention
// of 1.5 seconds, a sweep every 300 ms) while outcomes for their decisions arrive at both. Every outcome is
// either acknowledged and then learned, or refused with a 404 because its decision was swept first; no 5xx, no
// outcome kept without its decision, and a restart holds exactly the acknowledged lessons.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/open.ts';
import { smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';
import { ADMIN_KEY, callUrl, modelResponses, type ServerProcess, spawnServer, until } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CUSTOMERS = 30;
const DECISIONS = 120;
const RETENTION_MS = 1500;

/** A seeded stream of delays, so that a failure can be replayed. */
function delays(seed: number) {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2.6 * RETENTION_MS;
  };
}

describe.each(DIALECTS)('retention swept by two processes at once ($name)', (dialect) => {
  it('acknowledges an outcome only with its decision, and the models hold exactly what was acknowledged', async () => {
    const db = dialect.freshUrl();
    const catalog = join(dir, `catalog-${dialect.name}.json`);
    const config = join(dir, `config-${dialect.name}.json`);
    writeFileSync(catalog, JSON.stringify(smallCatalogDoc()));
    writeFileSync(
      config,
      JSON.stringify({ retention: { decisionsDays: RETENTION_MS / 86_400_000, sweepMinutes: 0.005 } }),
    );
    const args = ['--db', db, '--catalog', catalog, '--no-demo-data', '--config', config];
    const servers = [await spawnServer(args), await spawnServer(args)];
    const pick = (i: number): ServerProcess => servers[i % 2]!;
    const next = delays(7);
    const acknowledged: Array<{ decisionId: string; actionId: string }> = [];
    let refused = 0;
    try {
      for (let i = 0; i < CUSTOMERS; i++) {
        const put = await callUrl(
          pick(i).url,
          'PUT',
          `/v1/customers/C${i}`,
          { attributes: { age: 20 + i } },
          ADMIN_KEY,
        );
        expect(put.status).toBeLessThan(300);
      }
      // 24 callers at once; each decides on one process and answers on the other after 0–3.9 s, so that some
      // answers come before the sweep and some after it, while both processes sweep.
      let started = 0;
      await Promise.all(
        Array.from({ length: 24 }, async () => {
          while (started < DECISIONS) {
            const i = started++;
            const d = await callUrl(pick(i).url, 'POST', '/v1/decide', {
              customerId: `C${i % CUSTOMERS}`,
              channel: 'web',
              limit: 1,
            });
            expect(d.status).toBe(200);
            const decisionId: string = d.body.decisionId;
            const actionId: string = d.body.actions[0].actionId;
            await new Promise((resolve) => setTimeout(resolve, next()));
            const o = await callUrl(pick(i + 1).url, 'POST', '/v1/outcomes', {
              decisionId,
              actionId,
              outcome: i % 3 === 0 ? 'accept' : 'reject',
            });
            if (o.status === 404) {
              expect(o.body.message).toMatch(/unknown decision|no longer stored/);
              refused++;
            } else {
              expect(o.status).toBe(200);
              acknowledged.push({ decisionId, actionId });
            }
          }
        }),
      );
      // The race happened: some answers came in time, some after their decision was swept.
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
      // Each process folds what it learned and takes in the other's at its next checkpoint.
      await until(
        async () =>
          (await modelResponses(servers[0]!.url)) === acknowledged.length &&
          (await modelResponses(servers[1]!.url)) === acknowledged.length,
        20_000,
      );
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }

    // What was acknowledged is durable: a restarted process holds every lesson, and no more.
    const c = await spawnServer(['--db', db, '--catalog', catalog, '--no-demo-data']);
    try {
      expect(await modelResponses(c.url)).toBe(acknowledged.length);
    } finally {
      await c.stop();
    }
    // No outcome outlives its decision: an acknowledged one is stored with its decision, or both were swept
    // (after the lesson was folded into the models).
    const store = await openStore(db);
    try {
      let kept = 0;
      for (const a of acknowledged) {
        const decision = await store.getDecision(a.decisionId);
        const outcomes = await store.outcomesForDecision(a.decisionId);
        if (decision) {
          kept++;
          expect(outcomes.map((o) => o.actionId)).toEqual([a.actionId]);
        } else expect(outcomes).toEqual([]);
      }
      // The sweeps went on after the answers: most acknowledged decisions are gone by now.
      expect(kept).toBeLessThan(acknowledged.length);
    } finally {
      await store.close();
    }
  }, 90_000);
});
