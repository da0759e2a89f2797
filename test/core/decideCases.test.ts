// Decision behaviour pinned as data: each file in test/cases holds a case (or `cases`, a list of them): a request
// with what the stores and models would say, and its expected result: the chosen actions with the probabilities
// the explorer logged, the dropped ones with their stage (and a part of their reason), or the arm a customer is
// assigned with the hash behind it. Expected probabilities are worked out by hand in each case's `why`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Arm, type ArmSettings, assignArm, hash32 } from '../../src/core/arms.ts';
import { compileCatalog } from '../../src/core/catalog.ts';
import { decide } from '../../src/core/decide.ts';
import { mulberry32 } from '../../src/core/random.ts';
import { dropText } from '../../src/core/reasons.ts';
import type { Attributes, DroppedCandidate, InteractionRecord } from '../../src/core/types.ts';
import { EXPLORERS, type ExplorerName } from '../../src/learn/registry.ts';
import { smallCatalogDoc } from '../helpers.ts';

/** A dropped candidate's reason as its English sentence. */
const reasonOf = (dropped: readonly DroppedCandidate[], id: string) => {
  const d = dropped.find((x) => x.actionId === id);
  return d && dropText(d.reason);
};

type Propensity = number | { p: number; sd?: number; evidence?: number };

interface DecisionCase {
  description: string;
  why?: string;
  catalog?: Record<string, unknown>;
  request: {
    channel: string;
    customer?: Attributes;
    features?: Attributes;
    context?: Attributes;
    limit?: number;
    now: string;
  };
  history?: Array<Omit<InteractionRecord, 'at'> & { at: string }>;
  budgetUsage?: Record<string, { today: number; total: number }>;
  propensities: Record<string, Propensity>;
  /** Default: greedy (epsilonGreedy with epsilon 0), so that only the ranking matters. */
  explorer?: { kind: ExplorerName; options?: object; round?: number; seed?: number };
  arm?: Arm;
  expected: {
    chosen: string[];
    probabilities?: number[];
    dropped?: Record<string, string>;
    reasons?: Record<string, string>;
  };
}

interface ArmCase {
  description: string;
  why?: string;
  assign: { settings: ArmSettings; customerId: string; now: string };
  expected: { arm: Arm; hash: number };
}

type Case = DecisionCase | ArmCase;

const dir = join(import.meta.dirname, '..', 'cases');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const never = () => {
  throw new Error('a known customer must not draw from the random source');
};

function runDecision(c: DecisionCase) {
  const catalog = compileCatalog(smallCatalogDoc(c.catalog ?? {}));
  const explorer = c.explorer
    ? EXPLORERS[c.explorer.kind](c.explorer.options)
    : EXPLORERS.epsilonGreedy({ epsilon: 0 });
  const result = decide({
    catalog,
    channel: c.request.channel,
    customer: c.request.customer ?? {},
    features: c.request.features ?? {},
    context: c.request.context ?? {},
    history: (c.history ?? []).map((h) => ({ ...h, at: Date.parse(h.at) })),
    budgetUsage: new Map(Object.entries(c.budgetUsage ?? {})),
    limit: c.request.limit ?? 3,
    now: Date.parse(c.request.now),
    rng: mulberry32(c.explorer?.seed ?? 1),
    explorer,
    propensity: (a) => {
      const given = c.propensities[a.id] ?? 0;
      const p = typeof given === 'number' ? { p: given } : given;
      return {
        propensity: p.p,
        logitSd: p.sd ?? 0,
        ...(p.evidence === undefined ? {} : { evidence: p.evidence }),
      };
    },
    round: c.explorer?.round ?? 0,
    ...(c.arm ? { arm: c.arm } : {}),
  });
  const { expected } = c;
  expect(result.chosen.map((x) => x.actionId)).toEqual(expected.chosen);
  if (expected.probabilities)
    expect(result.chosen.map((x) => x.probability)).toEqual(
      expected.probabilities.map((p) => expect.closeTo(p, 9)),
    );
  if (expected.dropped)
    expect(Object.fromEntries(result.dropped.map((d) => [d.actionId, d.stage]))).toEqual(expected.dropped);
  for (const [id, part] of Object.entries(expected.reasons ?? {}))
    expect(reasonOf(result.dropped, id)).toContain(part);
}

function runArm(c: ArmCase) {
  const { settings, customerId, now } = c.assign;
  const at = Date.parse(now);
  const period = Math.floor(at / (settings.stickyDays * 86_400_000));
  expect(hash32(`${settings.salt}|${period}|${customerId}`)).toBe(c.expected.hash);
  expect(assignArm(settings, customerId, at, never)).toBe(c.expected.arm);
}

const cases = files.flatMap((file) => {
  const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Case | { cases: Case[] };
  const list = 'cases' in parsed ? parsed.cases : [parsed];
  return list.map((c, i) => ({ name: list.length > 1 ? `${file} #${i + 1}` : file, c }));
});

describe('decision cases', () => {
  it('has at least 50 cases', () => expect(cases.length).toBeGreaterThanOrEqual(50));
  for (const { name, c } of cases)
    it(`${name}: ${c.description}`, () => ('assign' in c ? runArm(c) : runDecision(c)));
});
