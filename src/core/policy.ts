// A candidate policy (another learner, exploration setting or lever set) judged beside the production one: in
// shadow mode on live decisions, and by `nextbest evaluate` on logged ones. Both score the logged eligible
// candidates the same way, so their results compare.
import { z } from 'zod';
import { EpsilonGreedy } from '../learn/explore/epsilonGreedy.ts';
import type { Explorer } from '../learn/explorer.ts';
import {
  DEFAULT_EXPLORER,
  DEFAULT_LEARNER,
  EXPLORER_NAMES,
  EXPLORERS,
  LEARNER_NAMES,
} from '../learn/registry.ts';
import { priorityOf, rankByPriority } from './arbitration.ts';
import type { ScoredCandidate } from './types.ts';

export const policySpecSchema = z.strictObject({
  /** A name for reports. */
  name: z.string().min(1).max(100).default('candidate'),
  learner: z.enum(LEARNER_NAMES).default(DEFAULT_LEARNER),
  /** Options of the learner (e.g. `{ priorPrecision: 5 }` for bayesianLogistic). */
  learnerOptions: z.record(z.string(), z.unknown()).optional(),
  explorer: z.enum(EXPLORER_NAMES).default(DEFAULT_EXPLORER),
  /** epsilonGreedy: the share of slots filled at random. */
  exploration: z.number().min(0).max(1).default(0.05),
  /**
   * Lever overrides: keys are an action id, `group:<group>` or `issue:<issue>` (most specific wins); the
   * logged lever applies to the others.
   */
  levers: z.record(z.string(), z.number().min(0)).default({}),
});
export type PolicySpec = z.infer<typeof policySpecSchema>;

export function policyExplorer(spec: PolicySpec): Explorer {
  return spec.explorer === 'epsilonGreedy' ? new EpsilonGreedy(spec.exploration) : EXPLORERS[spec.explorer]();
}

export function leverOf(
  spec: PolicySpec,
  c: Pick<ScoredCandidate, 'actionId' | 'group' | 'issue' | 'lever'>,
) {
  return (
    spec.levers[c.actionId] ?? spec.levers[`group:${c.group}`] ?? spec.levers[`issue:${c.issue}`] ?? c.lever
  );
}

export interface PolicyScore {
  propensity: number;
  logitSd: number;
  evidence: number;
}

export interface PolicyDistribution {
  /** Probability of each candidate for the first slot, by action id. */
  probabilities: Map<string, number>;
  /** The candidate policy's propensity of each candidate, by action id (its reward model). */
  propensities: Map<string, number>;
  /** The candidate's own first choice (drawn from the probabilities). */
  choice: string;
  /** Σ over candidates of probability × the candidate model's propensity: its expected accept rate. */
  expectedReward: number;
}

/**
 * What the candidate policy would do for the first slot among these eligible candidates, rescored with its own
 * propensities and levers (value and context weight as logged).
 */
export function policyDistribution(
  spec: PolicySpec,
  explorer: Explorer,
  candidates: readonly ScoredCandidate[],
  score: (c: ScoredCandidate) => PolicyScore,
  rng: () => number,
  round: number,
): PolicyDistribution | undefined {
  if (candidates.length === 0) return undefined;
  const rescored = rankByPriority(
    candidates.map((c) => {
      const s = score(c);
      const next = {
        ...c,
        propensity: s.propensity,
        logitSd: s.logitSd,
        evidence: s.evidence,
        lever: leverOf(spec, c),
      };
      return { ...next, priority: priorityOf(next) };
    }),
  );
  const choice = explorer.choose(
    rescored.map((c) => ({
      score: c.priority,
      propensity: c.propensity,
      logitSd: c.logitSd,
      evidence: c.evidence,
    })),
    rng,
    round,
  );
  const probabilities = new Map<string, number>();
  const propensities = new Map<string, number>();
  let expectedReward = 0;
  rescored.forEach((c, i) => {
    const p = choice.probabilities[i] ?? 0;
    probabilities.set(c.actionId, p);
    propensities.set(c.actionId, c.propensity);
    expectedReward += p * c.propensity;
  });
  return { probabilities, propensities, choice: rescored[choice.index]!.actionId, expectedReward };
}
