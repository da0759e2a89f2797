// Query plans that stay flat as the log grows (SQLite, whose planner has no statistics unless asked): every
// statement that deciding, answering, folding, the window sweep and retention prepare is looked up by a key
// (an id, a customer, a time range, a partial index), never by reading a whole table or every row with one flag.
// A soak showed why: with an index on (learned, seq), an outcome's "already taught?" check read every learned
// outcome, and throughput fell by 40 % in five minutes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { windowCatalogDoc } from '../helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-plans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Tables that grow with traffic. */
const GROWING = ['decisions', 'choices', 'outcomes', 'interactions', 'events', 'outbound'];
/** Columns with a handful of values: an index search led by one of them reads a large share of its table. */
const FLAGS = ['learned', 'folded', 'status', 'kind', 'arm'];

/** The plan of a prepared statement, its parameters bound to nulls (numbered ones by name). */
function planOf(store: SqliteStore, sql: string): string[] {
  const numbered = [...new Set(sql.match(/\?\d+/g) ?? [])];
  const params = numbered.length
    ? [Object.fromEntries(numbered.map((p) => [p.slice(1), null]))]
    : Array.from({ length: (sql.match(/\?/g) ?? []).length }, () => null);
  return (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map(
    (r) => r.detail,
  );
}

/** Partial indexes hold only the rows a hot path wants (the unfolded outcomes, a customer's accepts). */
const PARTIAL = /INDEX \w+_(unfolded|accepts)\b/;

/** What is wrong with a plan step of `sql`, if anything. */
function problem(sql: string, step: string): string | undefined {
  const m = /^(SCAN|SEARCH) (\w+)/.exec(step);
  if (!m) return undefined;
  // The step names a table or its alias in the statement.
  const aliases = new Map(
    [...sql.matchAll(/\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?/gi)].map((a) => [a[2] ?? a[1]!, a[1]!]),
  );
  const table = aliases.get(m[2]!) ?? m[2]!;
  if (!GROWING.includes(table) || PARTIAL.test(step)) return undefined;
  if (m[1] === 'SCAN') return `reads all of ${table}`;
  const led = /USING (?:COVERING )?INDEX \w+ \((\w+)[=<>]/.exec(step);
  if (led && FLAGS.includes(led[1]!)) return `searches ${table} by the flag ${led[1]}`;
  return undefined;
}

describe('SQLite query plans', () => {
  it('decide, answer, fold, sweep windows and retention read by key, never a whole table or a flag', async () => {
    let now = Date.parse('2026-06-01T10:00:00Z');
    const store = new SqliteStore(join(dir, 'plans.db'));
    await store.init();
    const doc = windowCatalogDoc(24);
    // Caps and a budget, so that the commit's checks run too.
    (doc.actions as Array<Record<string, unknown>>)[0]!.budget = { maxPerDay: 1000 };
    doc.contactPolicies = [
      { id: 'weekly', type: 'maxContacts', scope: 'customer', count: 100, days: 7 },
      { id: 'once', type: 'stopAfterAccept' },
    ];
    const engine = await Engine.open(store, JSON.stringify(doc), {
      seed: 1,
      checkpointMs: 0,
      expiryMs: 0,
      clock: () => now,
      retention: { decisionsDays: 2, sweepMs: 0 },
    });
    for (let i = 0; i < 12; i++) {
      const customerId = `c${i % 4}`;
      await engine.putCustomer(customerId, { age: 30 + i });
      const d = await engine.decide({ customerId, channel: 'web', limit: 1 });
      if (i % 3 !== 2)
        await engine.recordOutcome({
          decisionId: d.decisionId,
          actionId: d.actions[0]!.actionId,
          outcome: i % 3 === 0 ? 'accept' : 'reject',
        });
      now += 3_600_000;
    }
    now += 3 * 24 * 3_600_000;
    await engine.expireResponses();
    await engine.checkpoint();
    await engine.sweepRetention();
    await engine.decide({ customerId: 'c1', channel: 'web', limit: 1 });
    await engine.close();

    // biome-ignore lint/suspicious/noExplicitAny: the store's statement cache is private on purpose
    const prepared = [...((store as any).statements as Map<string, unknown>).keys()];
    expect(prepared.length).toBeGreaterThan(10);
    const found: string[] = [];
    for (const sql of prepared)
      for (const step of planOf(store, sql)) {
        const why = problem(sql, step);
        if (why) found.push(`${why}: ${step}\n  in ${sql.replace(/\s+/g, ' ').slice(0, 160)}`);
      }
    expect(found).toEqual([]);
    await store.close();
  });
});
