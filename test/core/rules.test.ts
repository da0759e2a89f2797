import { describe, expect, it } from 'vitest';
import { RuleCompileError, RuleEnvironment, type RuleScope } from '../../src/core/rules.ts';

const env = new RuleEnvironment({
  customer: { tenureMonths: 'number', segment: 'string', tags: 'list<string>', vip: 'boolean' },
  context: { intent: 'string' },
  features: { callsLast30d: 'number' },
});

const scope = (customer: RuleScope['customer'], context: RuleScope['context'] = {}): RuleScope => ({
  customer,
  context,
  features: { callsLast30d: 2 },
  channel: 'web',
});

describe('rule compilation', () => {
  it('evaluates conditions over customer, context, features and channel', () => {
    const rule = env.compileCondition(
      'customer.tenureMonths >= 12 && customer.segment == "gold" && context.intent == "cancel" && features.callsLast30d > 1 && channel == "web"',
    );
    expect(rule.evaluate(scope({ tenureMonths: 24, segment: 'gold' }, { intent: 'cancel' }))).toBe(true);
    expect(rule.evaluate(scope({ tenureMonths: 6, segment: 'gold' }, { intent: 'cancel' }))).toBe(false);
  });

  it('supports lists, negation, has() and mixed int/double arithmetic', () => {
    expect(env.compileCondition('"vip" in customer.tags').evaluate(scope({ tags: ['vip'] }))).toBe(true);
    expect(env.compileCondition('!customer.vip').evaluate(scope({ vip: false }))).toBe(true);
    expect(env.compileCondition('has(customer.segment)').evaluate(scope({}))).toBe(false);
    expect(
      env.compileCondition('customer.tenureMonths * 2 + 1 == 25').evaluate(scope({ tenureMonths: 12 })),
    ).toBe(true);
    expect(env.compileCondition('customer.tenureMonths != 3').evaluate(scope({ tenureMonths: 3 }))).toBe(
      false,
    );
  });

  it('compiles number expressions and returns plain numbers', () => {
    expect(env.compileNumber('100').evaluate(scope({}))).toBe(100);
    expect(env.compileNumber('customer.tenureMonths * 1.5').evaluate(scope({ tenureMonths: 10 }))).toBe(15);
  });

  it('rejects unknown fields with the column of the field', () => {
    const error = (() => {
      try {
        env.compileCondition('customer.tenur > 5');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(RuleCompileError);
    expect((error as RuleCompileError).message).toBe("unknown field 'tenur' at column 10");
    expect((error as RuleCompileError).column).toBe(10);
  });

  it.each([
    ['customer.tenureMonths >= 12 &&', /Unexpected token: EOF at column 31/],
    ['account.balance > 1', /unknown variable 'account'/],
    ['customer.segment', /expected a boolean, got string/],
    ['', /empty expression/],
    ['process.exit(1)', /unknown variable 'process'/],
    ['customer.segment > 3', /no such overload/],
  ])('rejects %j', (source, message) => {
    expect(() => env.compileCondition(source)).toThrow(message);
  });

  it('rejects a condition used as a number', () => {
    expect(() => env.compileNumber('customer.vip')).toThrow(/expected a number/);
  });

  it('reports missing data at evaluation time instead of guessing', () => {
    const rule = env.compileCondition('customer.segment == "gold"');
    expect(() => rule.evaluate(scope({}))).toThrow(/segment/);
  });

  it('cannot reach JavaScript globals or prototypes', () => {
    expect(() => env.compileCondition('customer.constructor == 1')).toThrow(RuleCompileError);
    expect(() => env.compileCondition('globalThis.x == 1')).toThrow(RuleCompileError);
  });
});
