// npm run bench:rules — how long a decision takes when the catalog is full of pathological rules (nested
// loops over a long list, lists doubled by cel.bind, backtracking-prone patterns) and every request brings
// inputs at their limits. The cost meter and the decision's time budget must keep every decision short.
import { Command } from 'commander';
import { DATA_LIMITS, RULE_LIMITS } from '../src/core/limits.ts';
import { Engine } from '../src/engine/engine.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { writeResult } from './lib/results.ts';

const opts = new Command()
  .option('--decisions <n>', 'decisions to time', Number, 200)
  .option('--heavy <n>', 'actions with a pathological rule', Number, 60)
  .option('--json', 'print only the JSON result')
  .parse()
  .opts<{ decisions: number; heavy: number; json?: boolean }>();

const doubling = (levels: number, salt: number) =>
  `cel.bind(a0, context.xs, ${Array.from({ length: levels }, (_, i) => `cel.bind(a${i + 1}, a${i} + a${i}, `).join('')}size(a${levels}) > ${salt}${')'.repeat(levels + 1)}`;
const rules = [
  (i: number) => `context.xs.all(x, !context.xs.exists(y, y == x + 0.${i + 1}))`,
  (i: number) => doubling(7, i),
  (i: number) => `context.s.matches("^(a|a)*$") && size(context.s) > ${i}`,
  (i: number) => `context.xs.exists(x, x in context.xs.map(y, y + ${i}.0))`,
];

async function main() {
  const actions = Array.from({ length: opts.heavy + 10 }, (_, i) => ({
    id: `A${i}`,
    name: `Action ${i}`,
    issue: 'Sales',
    group: `G${i % 7}`,
    value: 10 + i,
    ...(i < opts.heavy ? { eligibility: rules[i % rules.length]!(i) } : {}),
    treatments: { web: { title: `A${i}` } },
  }));
  const catalog = {
    name: 'pathological',
    channels: [{ id: 'web' }],
    schema: { context: { xs: 'list<number>', s: 'string' } },
    actions,
  };
  const store = new SqliteStore(':memory:');
  await store.init();
  const engine = await Engine.open(store, JSON.stringify(catalog), { checkpointMs: 0, healthProbeMs: 0 });
  const context = {
    xs: Array.from({ length: DATA_LIMITS.listItems }, (_, i) => i),
    s: 'a'.repeat(DATA_LIMITS.stringLength - 1),
  };
  const times: number[] = [];
  let costLimited = 0;
  let timeLimited = 0;
  let chosen = 0;
  for (let i = 0; i < opts.decisions; i++) {
    const t = performance.now();
    const d = await engine.decide({ channel: 'web', context, explain: i === opts.decisions - 1 });
    times.push(performance.now() - t);
    chosen += d.actions.length;
    if (d.explanation) {
      for (const c of d.explanation.candidates) {
        if (/rule cost limit/.test(c.reason ?? '')) costLimited++;
        if (/decide time limit/.test(c.reason ?? '')) timeLimited++;
      }
    }
  }
  await engine.close();
  await store.close();
  times.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]! * 10) / 10;
  const result = {
    decisions: opts.decisions,
    heavyActions: opts.heavy,
    budgetPerRule: RULE_LIMITS.costPerEvaluation,
    decideBudgetMs: RULE_LIMITS.decideMs,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: Math.round(times.at(-1)! * 10) / 10,
    lastDecision: { costLimited, timeLimited },
    actionsChosenPerDecision: chosen / opts.decisions,
  };
  const saved = writeResult(
    'rules',
    result,
    `npm run bench:rules -- ${process.argv.slice(2).join(' ')}`.trim(),
  );
  if (opts.json) console.log(JSON.stringify(result));
  else
    console.error(
      `${opts.decisions} decisions, ${opts.heavy} actions with pathological rules, inputs at their limits: p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, slowest ${result.maxMs} ms (last decision: ${costLimited} actions stopped by the cost limit, ${timeLimited} by the time budget); ${saved}`,
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
