// npm run bench:log — how many decisions per second the SQLite store commits as its decision log grows, with
// random decision ids (UUIDv4) and with time-ordered ones (UUIDv7, what the engine uses): random keys insert into a
// random page of the decisions' and choices' primary keys each time, time-ordered ones at their end. Group commits
// of 50 decisions (3 chosen actions each, a small payload) into a fresh file per kind, alternating the kinds.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { v7 } from 'uuid';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { writeResult } from './lib/results.ts';

const opts = new Command()
  .option('--decisions <n>', 'decisions to log per kind', Number, 300_000)
  .option('--every <n>', 'report the rate over each this many decisions', Number, 50_000)
  .option('--json', 'print only the JSON result')
  .parse()
  .opts<{ decisions: number; every: number; json?: boolean }>();

const KINDS = { random: () => randomUUID(), timeOrdered: (at: number) => v7({ msecs: at }) } as const;
type Kind = keyof typeof KINDS;
const GROUP = 50;
const T0 = Date.parse('2026-06-01T00:00:00Z');

const chosen = (i: number) =>
  [0, 1, 2].map((r) => ({
    actionId: `A${(i + r) % 100}`,
    issue: 'Sales',
    group: 'G',
    rank: r + 1,
    probability: 0.5,
    propensity: 0.1,
    priority: 1,
    treatment: { title: `A${(i + r) % 100}` },
  }));

/** Decisions per second over each `every` decisions logged. */
async function run(kind: Kind, dir: string): Promise<number[]> {
  const path = join(dir, `${kind}.db`);
  const store = new SqliteStore(path);
  await store.init();
  const rates: number[] = [];
  let last = performance.now();
  for (let i = 0; i < opts.decisions; i += GROUP) {
    await Promise.all(
      Array.from({ length: GROUP }, (_, k) => {
        const at = T0 + (i + k) * 10;
        return store.commitDecision({
          decision: {
            id: KINDS[kind](at),
            customerId: `C${(i + k) % 100_000}`,
            channel: 'web',
            context: { intent: 'browse' },
            at,
            catalogVersion: 1,
            modelVersion: 'm#0',
            arm: 'adaptive',
            features: { 'customer.tenureMonths': (i + k) % 60, 'customer.plan': 'mobile-plus' },
            candidates: [],
            dropped: [],
            chosen: chosen(i + k),
          },
          contacts: [],
        });
      }),
    );
    const done = i + GROUP;
    if (done % opts.every === 0) {
      const now = performance.now();
      rates.push(Math.round((opts.every / (now - last)) * 1000));
      last = now;
      if (!opts.json) process.stderr.write(`${kind}: ${done} decisions, ${rates.at(-1)} decisions/s\n`);
    }
  }
  await store.close();
  rmSync(path, { force: true });
  return rates;
}

const dir = mkdtempSync(join(tmpdir(), 'nextbest-logwrites-'));
try {
  const rates: Record<Kind, number[]> = { random: [], timeOrdered: [] };
  // One kind after the other on the same disk; the rate at the end (the largest log) is the figure to compare.
  for (const kind of ['random', 'timeOrdered'] as const) rates[kind] = await run(kind, dir);
  const rows = rates.random.map((r, i) => ({
    decisions: (i + 1) * opts.every,
    randomIdsPerSecond: r,
    timeOrderedIdsPerSecond: rates.timeOrdered[i]!,
    ratio: Math.round((rates.timeOrdered[i]! / r) * 100) / 100,
  }));
  const saved = writeResult(
    'logWrites',
    { rows },
    `npm run bench:log -- ${process.argv.slice(2).join(' ')}`.trim(),
  );
  if (opts.json) console.log(JSON.stringify(rows));
  else {
    console.log('| decisions logged | random ids: decisions/s | time-ordered ids: decisions/s | ratio |');
    console.log('|---:|---:|---:|---:|');
    for (const r of rows)
      console.log(`| ${r.decisions} | ${r.randomIdsPerSecond} | ${r.timeOrderedIdsPerSecond} | ${r.ratio} |`);
    console.log(`(${saved})`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
