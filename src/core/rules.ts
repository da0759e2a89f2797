// Engagement rules and value expressions in CEL (Common Expression Language) via @marcbachmann/cel-js.
// CEL is non-Turing-complete, side-effect free and type-checked against declared variables, so a rule
// can neither loop forever nor reach globals; the library interprets an AST and never calls eval.
import { Environment } from '@marcbachmann/cel-js';
import { DATA_LIMITS, RULE_LIMITS } from './limits.ts';
import { estimateCost, instrument, type Meter, STATIC_COST_LIMIT } from './ruleCost.ts';
import type { Attributes } from './types.ts';

/** Attribute types a catalog may declare for customer, context and feature fields. */
export const ATTRIBUTE_TYPES = [
  'number',
  'string',
  'boolean',
  'list<string>',
  'list<number>',
  'map',
] as const;
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number];

/** Whether a value has a declared attribute type (profiles, event payloads). */
export function matchesType(value: unknown, type: AttributeType): boolean {
  switch (type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'list<string>':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'list<number>':
      return Array.isArray(value) && value.every((v) => typeof v === 'number');
    case 'map':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

export interface RuleSchema {
  customer: Record<string, AttributeType>;
  context: Record<string, AttributeType>;
  features: Record<string, AttributeType>;
  /** Trigger conditions also see the event that fired them: `event.type`, `event.channel`, `event.payload.*`. */
  eventPayload?: Record<string, AttributeType>;
}

/** What a rule sees at evaluation time. */
export interface RuleScope {
  customer: Attributes;
  context: Attributes;
  features: Attributes;
  channel: string;
  event?: { type: string; channel: string; payload: Attributes };
}

/** A rule that could not be compiled; `column` is 1-based within the rule text. */
export class RuleCompileError extends Error {
  constructor(
    message: string,
    readonly column: number | undefined,
  ) {
    super(column === undefined ? message : `${message} at column ${column}`);
    this.name = 'RuleCompileError';
  }
}

export interface CompiledRule<T> {
  readonly source: string;
  /** Throws an Error when the data does not fit the rule (e.g. a missing attribute). */
  evaluate(scope: RuleScope): T;
}

const CEL_TYPES: Record<AttributeType, string> = {
  number: 'double',
  string: 'string',
  boolean: 'bool',
  'list<string>': 'list<string>',
  'list<number>': 'list<double>',
  map: 'map<string, dyn>',
};

type CelSchema = Record<string, string>;

function celSchema(fields: Record<string, AttributeType>): CelSchema {
  const out: CelSchema = {};
  for (const [name, type] of Object.entries(fields)) out[name] = CEL_TYPES[type];
  return out;
}

interface CelNode {
  pos?: number;
  op?: string;
  right?: unknown;
}
interface CelError extends Error {
  node?: CelNode;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).trim();
}

/** Turns a cel-js error into our message and a 1-based column. */
function describeCelError(error: unknown, source: string): RuleCompileError {
  const err = error as CelError;
  const raw = firstLine(err?.message ?? String(error));
  const pos = err?.node?.pos;
  const missingKey = /^No such key: (.+)$/.exec(raw);
  if (missingKey) {
    const field = missingKey[1] ?? '';
    // The node points at the '.', the field name starts right after it.
    const at = pos === undefined ? source.indexOf(field) : source.indexOf(field, pos);
    return new RuleCompileError(`unknown field '${field}'`, at >= 0 ? at + 1 : undefined);
  }
  const unknownVar = /^Unknown variable: (.+)$/i.exec(raw);
  if (unknownVar) {
    return new RuleCompileError(
      `unknown variable '${unknownVar[1]}' (use customer.*, context.*, features.*, channel, or event.* in triggers)`,
      pos === undefined ? undefined : pos + 1,
    );
  }
  return new RuleCompileError(raw, pos === undefined ? undefined : pos + 1);
}

/** A rule environment for one catalog: declared fields are known, everything else is an error. */
export class RuleEnvironment {
  private readonly env: Environment;

  constructor(schema: RuleSchema) {
    const env = new Environment({ limits: { maxAstNodes: 2000, maxDepth: 64 } })
      .registerVariable({ name: 'customer', schema: celSchema(schema.customer) })
      .registerVariable({ name: 'context', schema: celSchema(schema.context) })
      .registerVariable({ name: 'features', schema: celSchema(schema.features) })
      .registerVariable('channel', 'string');
    if (schema.eventPayload)
      env.registerVariable({
        name: 'event',
        schema: { type: 'string', channel: 'string', payload: celSchema(schema.eventPayload) },
      });
    // CEL keeps int and double apart in arithmetic; business users write `customer.balance * 2`,
    // so mixed arithmetic promotes to double like a spreadsheet would.
    const ops: Array<[string, (a: number, b: number) => number]> = [
      ['+', (a, b) => a + b],
      ['-', (a, b) => a - b],
      ['*', (a, b) => a * b],
      ['/', (a, b) => a / b],
    ];
    for (const [op, fn] of ops) {
      env.registerOperator(`double ${op} int`, (a: number, b: bigint) => fn(a, Number(b)));
      env.registerOperator(`int ${op} double`, (a: bigint, b: number) => fn(Number(a), b));
    }
    // `==` overloads also serve `!=` and the mirrored operand order.
    env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b));
    this.env = env;
  }

  private parse(source: string, expected: 'bool' | 'number') {
    if (source.trim() === '') throw new RuleCompileError('empty expression', 1);
    let parsed: ReturnType<Environment['parse']>;
    try {
      parsed = this.env.parse(source);
    } catch (error) {
      throw describeCelError(error, source);
    }
    const checked = parsed.check() as { valid: boolean; type?: string; error?: unknown };
    if (!checked.valid) throw describeCelError(checked.error, source);
    const type = checked.type ?? 'dyn';
    // Estimated with every input at its limit; the meter below stops what slips through at run time.
    const { cost } = estimateCost(parsed.ast as never);
    if (cost > STATIC_COST_LIMIT) {
      throw new RuleCompileError(
        `rule could cost about ${formatCost(cost)} units with inputs at their limits (lists of ${RULE_INPUT_NOTE}), ` +
          `more than ${RULE_LIMITS.staticFactor} times the budget of ${formatCost(RULE_LIMITS.costPerEvaluation)} per evaluation; ` +
          'avoid nesting loops over lists or growing lists with cel.bind',
        1,
      );
    }
    const meter: Meter = { spent: 0, limit: RULE_LIMITS.costPerEvaluation };
    const patternIssue = instrument(parsed.ast as never, meter);
    if (patternIssue) throw new RuleCompileError(patternIssue, source.indexOf('matches') + 1 || undefined);
    const ok =
      expected === 'bool' ? ['bool', 'dyn'].includes(type) : ['int', 'double', 'uint', 'dyn'].includes(type);
    if (!ok) {
      throw new RuleCompileError(`expected a ${expected === 'bool' ? 'boolean' : 'number'}, got ${type}`, 1);
    }
    return { parsed, meter };
  }

  compileCondition(source: string): CompiledRule<boolean> {
    const { parsed, meter } = this.parse(source, 'bool');
    return {
      source,
      evaluate(scope) {
        meter.spent = 0;
        const result = parsed(scope as unknown as Record<string, unknown>);
        if (typeof result !== 'boolean') throw new Error(`rule returned ${typeof result}, not a boolean`);
        return result;
      },
    };
  }

  compileNumber(source: string): CompiledRule<number> {
    const { parsed, meter } = this.parse(source, 'number');
    return {
      source,
      evaluate(scope) {
        meter.spent = 0;
        const result = parsed(scope as unknown as Record<string, unknown>);
        const n = typeof result === 'bigint' ? Number(result) : result;
        if (typeof n !== 'number' || !Number.isFinite(n))
          throw new Error('expression did not return a finite number');
        return n;
      },
    };
  }
}

const RULE_INPUT_NOTE = `${DATA_LIMITS.listItems.toLocaleString('en')} items, strings of ${DATA_LIMITS.stringLength.toLocaleString('en')} characters`;

function formatCost(cost: number): string {
  if (cost < 1e6) return Math.round(cost).toLocaleString('en');
  if (cost < 1e12) return `${(cost / 1e6).toPrecision(3)} million`;
  return `10^${Math.floor(Math.log10(cost))}`;
}

/** The message of a rule evaluation error, first line only (cel-js adds a caret drawing). */
export function ruleErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = firstLine(message);
  const missing = /^No such key: (.+)$/.exec(line);
  return missing ? `missing attribute '${missing[1]}'` : line;
}
