// Crash safety under load: concurrent decides, outcomes (some sent twice) and events against a server process
// that is SIGKILLed at random moments and started again, on one database. Afterwards every acknowledged
// decision, outcome and event is stored exactly once and the budget counters equal the decision log.
// NEXTBEST_CRASH_ROUNDS (default 5) sets how many kills; the long mode runs 20 or more.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { openStore } from '../../src/store/open.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';
import { ADMIN_KEY, callUrl, MIDDAY_ENV, spawnServer, testClock, testDay } from './harness.ts';

const ROUNDS = Number(process.env.NEXTBEST_CRASH_ROUNDS ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'nextbest-crashload-'));
const children: Array<{ kill: (s: NodeJS.Signals) => void }> = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const CUSTOMERS = 40;
const doc = smallCatalogDoc({
  actions: [
    action('Budgeted', 'Sales', 'Cards', { value: 50, budget: { maxPerDay: 1_000_000 } }),
    action('A1', 'Sales', 'Loans', { value: 10 }),
    action('R1', 'Retention', 'Care', { value: 8, budget: { total: 1_000_000 } }),
  ],
  events: { types: { ping: { payload: { n: 'number' } } } },
});

interface Acked {
  decisions: Set<string>;
  outcomes: Map<string, number>; // `${decisionId}|${actionId}` → times acknowledged
  events: Set<number>; // acknowledged event seqs
}

/** Sends load until `stop` resolves; records what the server acknowledged. */
async function load(url: string, acked: Acked, rng: () => number, stop: Promise<void>) {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const worker = async () => {
    while (!stopped) {
      const customerId = `C${Math.floor(rng() * CUSTOMERS)}`;
      try {
        const r = rng();
        if (r < 0.5) {
          const d = await callUrl(url, 'POST', '/v1/decide', { customerId, channel: 'web' });
          if (d.status !== 200) continue;
          acked.decisions.add(d.body.decisionId);
          const first = d.body.actions[0];
          if (!first) continue;
          // The outcome, and now and then the same outcome again (it must count once).
          for (let i = 0; i < (rng() < 0.3 ? 2 : 1); i++) {
            const o = await callUrl(url, 'POST', '/v1/outcomes', {
              decisionId: d.body.decisionId,
              actionId: first.actionId,
              outcome: 'accept',
            });
            if (o.status === 200) {
              const key = `${d.body.decisionId}|${first.actionId}`;
              acked.outcomes.set(key, (acked.outcomes.get(key) ?? 0) + 1);
            }
          }
        } else {
          const e = await callUrl(url, 'POST', '/v1/events', [
            { customerId, type: 'ping', timestamp: new Date(testClock()).toISOString(), payload: { n: 1 } },
            { customerId, type: 'ping', timestamp: new Date(testClock()).toISOString(), payload: { n: 2 } },
          ]);
          if (e.status === 200) for (const seq of e.body.seqs as number[]) acked.events.add(seq);
        }
      } catch {
        // the process was killed under this request: its fate is unknown, and it was not acknowledged
      }
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
}

describe.each(DIALECTS)('crash safety under load ($name)', (dialect) => {
  it(`${ROUNDS} SIGKILLs under concurrent load lose and duplicate nothing that was acknowledged`, async () => {
    const db = dialect.name === 'sqlite' ? join(dir, 'crash.db') : dialect.freshUrl();
    const { writeFileSync } = await import('node:fs');
    const catalog = join(dir, `catalog-${dialect.name}.json`);
    writeFileSync(catalog, JSON.stringify(doc));
    const rng = mulberry32(dialect.name === 'sqlite' ? 11 : 12);
    const acked: Acked = { decisions: new Set(), outcomes: new Map(), events: new Set() };
    for (let round = 0; round <= ROUNDS; round++) {
      const server = await spawnServer(['--db', db, '--catalog', catalog, '--no-demo-data'], MIDDAY_ENV);
      children.push(server.child);
      if (round === 0) {
        for (let i = 0; i < CUSTOMERS; i++)
          await callUrl(server.url, 'PUT', `/v1/customers/C${i}`, { attributes: { age: 30 } }, ADMIN_KEY);
      }
      if (round === ROUNDS) {
        await server.stop();
        break;
      }
      const killAt = 300 + Math.floor(rng() * 1200);
      const stop = new Promise<void>((resolve) =>
        setTimeout(() => {
          server.child.kill('SIGKILL');
          resolve();
        }, killAt),
      );
      await load(server.url, acked, rng, stop);

      // Already killed: this only waits for the exit.
      await server.stop();
    }
    expect(acked.decisions.size).toBeGreaterThan(ROUNDS * 5);
    expect(acked.outcomes.size).toBeGreaterThan(0);
    expect(acked.events.size).toBeGreaterThan(0);

    const store = await openStore(db);
    await store.init();
    try {
      let lost = 0;
      let duplicated = 0;
      for (const id of acked.decisions) if (!(await store.getDecision(id))) lost++;
      for (const key of acked.outcomes.keys()) {
        const [decisionId, actionId] = key.split('|') as [string, string];
        const stored = (await store.outcomesForDecision(decisionId)).filter(
          (o) => o.actionId === actionId && o.outcome === 'accept',
        );
        if (stored.length === 0) lost++;
        if (stored.length > 1) duplicated++;
      }
      const events = new Map<number, number>();
      for (let i = 0; i < CUSTOMERS; i++) {
        const page = await store.timeline({ customerId: `C${i}`, limit: 100_000, kinds: ['event'] });
        for (const e of page.entries) if (e.kind === 'event') events.set(e.seq, (events.get(e.seq) ?? 0) + 1);
      }
      for (const seq of acked.events) if (!events.has(seq)) lost++;
      for (const n of events.values()) if (n > 1) duplicated++;
      // Budget counters equal the decision log (a commit reserves and logs in one transaction).
      const tallies = await store.choiceTallies(0, Date.now() + 86_400_000, ['action']);
      const offers = new Map<string, number>();
      for (const t of tallies)
        offers.set(String(t.key.action), (offers.get(String(t.key.action)) ?? 0) + t.offers);
      const usage = await store.budgetUsage(['Budgeted', 'R1'], testDay());
      const report = {
        lost,
        duplicated,
        budgeted: usage.get('Budgeted')?.total ?? 0,
        r1: usage.get('R1')?.total ?? 0,
      };
      if (process.env.NEXTBEST_CRASH_ROUNDS)
        console.log(
          `crash (${dialect.name}): ${ROUNDS} SIGKILLs, acknowledged ${acked.decisions.size} decisions, ${acked.outcomes.size} outcomes, ${acked.events.size} events; lost ${lost}, duplicated ${duplicated}`,
        );
      expect(report).toEqual({
        lost: 0,
        duplicated: 0,
        budgeted: offers.get('Budgeted') ?? 0,
        r1: offers.get('R1') ?? 0,
      });
    } finally {
      await store.close();
    }
  }, 300_000);
});
