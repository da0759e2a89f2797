import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { CatalogError } from '../../src/core/catalogSchema.ts';
import { decide } from '../../src/core/decide.ts';
import { DATA_LIMITS, RULE_LIMITS } from '../../src/core/limits.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { RuleCostError } from '../../src/core/ruleCost.ts';
import { RuleCompileError, RuleEnvironment, type RuleScope } from '../../src/core/rules.ts';
import { EpsilonGreedy } from '../../src/learn/explore/epsilonGreedy.ts';
import { action, smallCatalogDoc } from '../helpers.ts';

const env = new RuleEnvironment({
  customer: { name: 'string', tags: 'list<string>' },
  context: { xs: 'list<number>', s: 'string', m: 'map' },
  features: {},
});
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const scope = (context: RuleScope['context']): RuleScope => ({
  customer: { name: 'Ann', tags: ['vip'] },
  context: { s: '', m: {}, ...context },
  features: {},
  channel: 'web',
});
const nested = 'context.xs.all(x, !context.xs.exists(y, y == x + 0.5))';
/** `cel.bind` that doubles a list `levels` times. */
const doubling = (levels: number) =>
  `cel.bind(a0, context.xs, ${range(levels)
    .map((i) => `cel.bind(a${i + 1}, a${i} + a${i}, `)
    .join('')}size(a${levels}) > 0${')'.repeat(levels + 1)}`;

/** A greedy decision on the web channel with every propensity 0.5. */
const decideWeb = (
  catalog: ReturnType<typeof compileCatalog>,
  context: RuleScope['context'],
  overBudget?: () => boolean,
) =>
  decide({
    catalog,
    channel: 'web',
    customer: {},
    features: {},
    context,
    history: [],
    budgetUsage: new Map(),
    limit: 3,
    now: Date.parse('2026-06-01T00:00:00Z'),
    rng: mulberry32(1),
    explorer: new EpsilonGreedy(0),
    propensity: () => ({ propensity: 0.5, logitSd: 0 }),
    round: 0,
    ...(overBudget ? { overBudget } : {}),
  });

describe('bounded rule evaluation', () => {
  it('stops a quadratic rule on a long list with the cost limit, and runs it on a short one', () => {
    const rule = env.compileCondition(nested);
    expect(rule.evaluate(scope({ xs: range(50) }))).toBe(true);
    expect(() => rule.evaluate(scope({ xs: range(DATA_LIMITS.listItems) }))).toThrow(RuleCostError);
    // The meter starts again for every evaluation.
    expect(rule.evaluate(scope({ xs: range(50) }))).toBe(true);
  });

  it('charges what a node builds: a list doubled by cel.bind is stopped before it grows', () => {
    const rule = env.compileCondition(doubling(7));
    expect(rule.evaluate(scope({ xs: range(2) }))).toBe(true);
    expect(() => rule.evaluate(scope({ xs: range(1000) }))).toThrow(RuleCostError);
  });

  it('refuses at compile time what could not finish with inputs at their limits', () => {
    expect(() => env.compileCondition(doubling(30))).toThrow(/could cost about 10\^\d+ units/);
    expect(() =>
      env.compileCondition('context.xs.all(x, context.xs.all(y, context.xs.all(z, x + y + z >= 0)))'),
    ).toThrow(RuleCompileError);
    // Linear rules, even over long lists, are fine.
    expect(() => env.compileCondition('context.xs.all(x, x >= 0) && "vip" in customer.tags')).not.toThrow();
  });

  it('matches with RE2: linear time, unanchored search, no backreferences', () => {
    const rule = env.compileCondition('context.s.matches("^(a|a)*$")');
    expect(rule.evaluate(scope({ s: 'a'.repeat(29) }))).toBe(true);
    expect(rule.evaluate(scope({ s: `${'a'.repeat(29)}b` }))).toBe(false);
    expect(env.compileCondition('customer.name.matches("n+")').evaluate(scope({}))).toBe(true);
    expect(() => env.compileCondition('context.s.matches("(a)\\\\1")')).toThrow(/not RE2 syntax/);
    expect(() => env.compileCondition('context.s.matches("a(?=b)")')).toThrow(/not RE2 syntax/);
    // A pattern from the data is compiled at run time, and an invalid one fails that evaluation only.
    const dynamic = env.compileCondition('customer.name.matches(context.s)');
    expect(dynamic.evaluate(scope({ s: '^A' }))).toBe(true);
    expect(() => dynamic.evaluate(scope({ s: '(a)\\1' }))).toThrow(/RE2/);
  });

  it('drops an action whose rule runs over its budget with the reason, and keeps the others', () => {
    const catalog = compileCatalog(
      smallCatalogDoc({
        schema: { context: { xs: 'list<number>' } },
        actions: [
          action('HEAVY', 'Sales', 'Cards', { value: 10, eligibility: nested }),
          action('OK', 'Sales', 'Loans'),
        ],
      }),
    );
    const result = decideWeb(catalog, { xs: range(1000) });
    expect(result.chosen.map((c) => c.actionId)).toEqual(['OK']);
    expect(result.dropped).toEqual([
      {
        actionId: 'HEAVY',
        stage: 'eligibility',
        reason: { code: 'ruleCost', rule: nested, limit: RULE_LIMITS.costPerEvaluation },
      },
    ]);
  });

  it('drops the candidates left once the decision is over its time budget', () => {
    const catalog = compileCatalog(smallCatalogDoc());
    let asked = 0;
    const result = decideWeb(catalog, {}, () => ++asked > 2);
    expect(result.candidates.map((c) => c.actionId)).toEqual(['A1', 'A2']);
    expect(result.dropped.map((d) => [d.actionId, d.stage])).toEqual([
      ['B1', 'limit'],
      ['R1', 'limit'],
    ]);
  });

  it('a catalog with a rule that cannot finish is refused at load with its location', () => {
    const doc = smallCatalogDoc({
      schema: { context: { xs: 'list<number>' } },
      actions: [action('A1', 'Sales', 'Cards', { eligibility: doubling(30) })],
    });
    let error: unknown;
    try {
      compileCatalog(doc);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).issues[0]?.path).toBe('actions[0].eligibility');
  });
});
