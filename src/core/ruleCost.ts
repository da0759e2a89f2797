// Bounded rule evaluation. CEL cannot loop forever, but it can nest comprehensions over long lists, build lists
// that double with every `cel.bind`, and (through JavaScript's RegExp) backtrack exponentially. cel-js has no
// cost accounting of its own, so this file adds the two halves cel-go has:
// - a static estimate at compile time, with every input at its documented limit (DATA_LIMITS), that refuses
//   rules which could never finish within their budget;
// - a runtime meter: every expression node is wrapped once, at compile time, to count one unit per evaluation
//   plus the length of each list or string it builds or scans; a rule over its budget throws RuleCostError.
// `matches` runs on RE2 (re2js, linear time in the input), and a literal pattern RE2 cannot run is a compile
// error. This relies on cel-js 8's AST shape (op, args, meta, checkedType, handle); the tests in
// test/core/ruleCost.test.ts fail if an upgrade changes it.
import { RE2JS } from 're2js';
import { DATA_LIMITS, RULE_LIMITS } from './limits.ts';

/** A rule stopped because it spent its budget. */
export class RuleCostError extends Error {
  constructor(readonly limit: number) {
    super(`rule cost limit of ${limit.toLocaleString('en')} units exceeded`);
    this.name = 'RuleCostError';
  }
}

/** The units one evaluation has spent; reset before each evaluation (evaluation is synchronous). */
export interface Meter {
  spent: number;
  limit: number;
}

type Evaluate = (ev: unknown, ast: unknown, ctx: unknown) => unknown;

interface CelType {
  kind?: string;
  valueType?: CelType;
  keyType?: CelType;
}

interface Macro {
  var?: string;
  val?: Node;
  exp?: Node;
  macroHasProps?: Node[];
  evaluate: Evaluate;
}

interface Node {
  op: string;
  args: unknown;
  checkedType?: CelType;
  meta: { evaluate: Evaluate; alternate?: Node; macro?: Macro };
  evaluate: Evaluate;
  handle?: (values: unknown[], ev: unknown, ast: unknown) => unknown;
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && typeof (x as Node).op === 'string' && 'meta' in x;
}

/** The nodes a node evaluates directly (its operands, a macro's parts, a comprehension's parts). */
function childrenOf(node: Node): Node[] {
  const out: Node[] = [];
  const meta = node.meta;
  if (meta.alternate) out.push(meta.alternate);
  if (meta.macro) {
    const m = meta.macro;
    if (m.val) out.push(m.val);
    if (m.exp) out.push(m.exp);
    if (m.macroHasProps) out.push(...m.macroHasProps);
  }
  const args = node.args;
  if (node.op === 'comprehension') {
    const c = args as { iterable: Node; init: Node; step: Node };
    out.push(c.iterable, c.init, c.step);
    return out;
  }
  const walk = (x: unknown) => {
    if (isNode(x)) out.push(x);
    else if (Array.isArray(x)) for (const y of x) walk(y);
  };
  walk(args);
  return out;
}

/** Nodes whose result is a new list, map or string: its length is what they allocate. */
const BUILDS = new Set(['+', 'list', 'map', 'comprehension', 'call', 'rcall']);
/** Functions that neither build nor scan (their operands are not charged). */
const CHEAP_CALLS = new Set(['size', 'int', 'uint', 'double', 'bool', 'type', 'dyn', 'has']);

function lengthOf(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  if (value instanceof Map || value instanceof Set) return value.size;
  return 0;
}

const MAX_CACHED_PATTERNS = 1000;
const patterns = new Map<string, RE2JS>();

/** RE2 (linear time); compiled patterns are cached, a bounded number of them. */
export function re2(pattern: string): RE2JS {
  let re = patterns.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    if (patterns.size >= MAX_CACHED_PATTERNS) patterns.clear();
    patterns.set(pattern, re);
  }
  return re;
}

function re2Matches(values: unknown[]): boolean {
  const [text, pattern] = values;
  if (typeof text !== 'string' || typeof pattern !== 'string')
    throw new Error('matches() needs a string and a pattern');
  let re: RE2JS;
  try {
    re = re2(pattern);
  } catch (error) {
    throw new Error(`invalid regular expression (RE2 syntax): ${(error as Error).message}`);
  }
  return re.matcher(text).find();
}

/** Why a literal pattern cannot run on RE2, or undefined. */
function patternIssue(node: Node): string | undefined {
  if (node.op !== 'rcall') return undefined;
  const [name, , args] = node.args as [string, Node, Node[]];
  const pattern = args[0];
  if (name !== 'matches' || !pattern || pattern.op !== 'value' || typeof pattern.args !== 'string')
    return undefined;
  try {
    re2(pattern.args);
    return undefined;
  } catch (error) {
    return `regular expression '${pattern.args}' is not RE2 syntax (linear-time matching; no backreferences or lookaround): ${(error as Error).message}`;
  }
}

/**
 * Wraps every node of a checked AST so that its evaluation is metered, and points `matches` at RE2. Returns the
 * first literal pattern RE2 refuses, if any.
 */
export function instrument(root: Node, meter: Meter): string | undefined {
  const seen = new Set<Node>();
  const scanned = new Set<Node>();
  let issue: string | undefined;
  const visit = (node: Node) => {
    if (seen.has(node)) return;
    seen.add(node);
    const children = childrenOf(node);
    if (node.op === 'in') {
      const right = (node.args as Node[])[1];
      if (right) scanned.add(right);
    } else if (node.op === '==' || node.op === '!=') {
      for (const c of node.args as Node[]) scanned.add(c);
    } else if (node.op === 'rcall' || node.op === 'call') {
      const name = (node.args as [string])[0];
      if (!CHEAP_CALLS.has(name)) for (const c of children) scanned.add(c);
    }
    issue ??= patternIssue(node);
    if (node.op === 'rcall' && (node.args as [string])[0] === 'matches') node.handle = re2Matches;
    for (const c of children) visit(c);
  };
  visit(root);
  for (const node of seen) {
    const meta = node.meta;
    const inner: Evaluate = meta.alternate
      ? (ev, _ast, ctx) => meta.alternate!.evaluate(ev, meta.alternate, ctx)
      : meta.macro
        ? (ev, _ast, ctx) => meta.macro!.evaluate(ev, meta.macro, ctx)
        : meta.evaluate;
    const charge = BUILDS.has(node.op) || scanned.has(node);
    node.evaluate = function metered(ev, ast, ctx) {
      if (++meter.spent > meter.limit) throw new RuleCostError(meter.limit);
      const result = inner.call(node, ev, ast, ctx);
      if (charge) {
        meter.spent += lengthOf(result);
        if (meter.spent > meter.limit) throw new RuleCostError(meter.limit);
      }
      return result;
    };
  }
  return issue;
}

interface Estimate {
  /** Units an evaluation may spend. */
  cost: number;
  /** Largest length of the value (list items, string characters, map entries); 1 for scalars. */
  size: number;
}

function sizeOfType(type: CelType | undefined): number {
  switch (type?.kind) {
    case 'list':
      return DATA_LIMITS.listItems;
    case 'map':
      return DATA_LIMITS.objectKeys;
    case 'string':
    case 'bytes':
      return DATA_LIMITS.stringLength;
    case 'dyn':
    case undefined:
      return Math.max(DATA_LIMITS.listItems, DATA_LIMITS.objectKeys, DATA_LIMITS.stringLength);
    default:
      return 1;
  }
}

function elementType(type: CelType | undefined): CelType | undefined {
  if (type?.kind === 'list') return type.valueType;
  if (type?.kind === 'map') return type.keyType;
  return undefined;
}

/**
 * The worst-case cost of one evaluation with every input at its documented limit (cel-go's estimator in
 * miniature): comprehensions multiply by their range, `+` on lists and strings adds lengths, scans cost the
 * length scanned.
 */
export function estimateCost(root: Node): Estimate {
  const est = (node: Node, vars: ReadonlyMap<string, number>): Estimate => {
    const meta = node.meta;
    if (meta.alternate) {
      const e = est(meta.alternate, vars);
      return { cost: e.cost + 1, size: e.size };
    }
    if (meta.macro) {
      const m = meta.macro;
      if (m.val && m.exp && m.var) {
        const v = est(m.val, vars);
        const e = est(m.exp, new Map(vars).set(m.var, v.size));
        return { cost: 1 + v.cost + e.cost, size: e.size };
      }
      return { cost: 1 + (m.macroHasProps?.length ?? 1), size: 1 };
    }
    const sum = (nodes: Node[]) => {
      let cost = 1;
      const sizes: number[] = [];
      for (const n of nodes) {
        const e = est(n, vars);
        cost += e.cost;
        sizes.push(e.size);
      }
      return { cost, sizes };
    };
    switch (node.op) {
      case 'value':
        return { cost: 1, size: typeof node.args === 'string' ? node.args.length : 1 };
      case 'id': {
        const bound = vars.get(node.args as string);
        return { cost: 1, size: bound ?? sizeOfType(node.checkedType) };
      }
      case 'comprehension': {
        const c = node.args as { iterable: Node; init: Node; step: Node; iterVarName: string };
        const range = est(c.iterable, vars);
        const init = est(c.init, vars);
        const step = est(
          c.step,
          new Map(vars).set(c.iterVarName, sizeOfType(elementType(c.iterable.checkedType))),
        );
        const builds = c.init.op === 'list';
        return {
          cost: 1 + range.cost + init.cost + range.size * (step.cost + 1) + (builds ? range.size : 0),
          size: builds ? range.size : 1,
        };
      }
      case '+': {
        const { cost, sizes } = sum(childrenOf(node));
        const kind = node.checkedType?.kind;
        if (kind === 'list' || kind === 'string' || kind === 'dyn') {
          const size = sizes.reduce((a, b) => a + b, 0);
          return { cost: cost + size, size };
        }
        return { cost, size: 1 };
      }
      case 'in': {
        const { cost, sizes } = sum(childrenOf(node));
        return { cost: cost + (sizes[1] ?? 0), size: 1 };
      }
      case '==':
      case '!=': {
        const { cost, sizes } = sum(childrenOf(node));
        return { cost: cost + Math.min(...sizes), size: 1 };
      }
      case 'call':
      case 'rcall': {
        const name = (node.args as [string])[0];
        const { cost, sizes } = sum(childrenOf(node));
        const scanned = CHEAP_CALLS.has(name) ? 0 : sizes.reduce((a, b) => a + b, 0);
        const kind = node.checkedType?.kind;
        const builds = kind === 'list' || kind === 'string' || kind === 'map' || kind === 'dyn';
        return {
          cost: cost + scanned,
          size: builds ? Math.min(Math.max(1, scanned), sizeOfType(node.checkedType)) : 1,
        };
      }
      case 'list':
      case 'map': {
        const children = childrenOf(node);
        const { cost } = sum(children);
        return { cost: cost + children.length, size: children.length };
      }
      case '?:': {
        const [c, l, r] = childrenOf(node).map((n) => est(n, vars));
        return {
          cost: 1 + (c?.cost ?? 0) + Math.max(l?.cost ?? 0, r?.cost ?? 0),
          size: Math.max(l?.size ?? 1, r?.size ?? 1),
        };
      }
      case '.':
      case '.?':
      case '[]':
      case '[?]':
        return { cost: sum(childrenOf(node)).cost, size: sizeOfType(node.checkedType) };
      default:
        return { cost: sum(childrenOf(node)).cost, size: 1 };
    }
  };
  return est(root, new Map());
}

/** The limit above which a rule is refused at compile time. */
export const STATIC_COST_LIMIT = RULE_LIMITS.costPerEvaluation * RULE_LIMITS.staticFactor;
