// Replay of logged decisions: how would a candidate policy (another learner, explorer or lever set) have done?
// The candidate learns from the log in time order as it would have live (progressive validation: each decision
// is scored before its outcome is learned), and the off-policy estimators judge its first-slot choices against
// the logged choice probabilities.

import { type PolicySpec, policyDistribution, policyExplorer } from '../core/policy.ts';
import { mulberry32 } from '../core/random.ts';
import type { Learner } from '../learn/learner.ts';
import { LEARNERS } from '../learn/registry.ts';
import type { DecisionRecord, Store } from '../store/store.ts';
import { rewardOfFlags } from './answers.ts';

/** A logged decision with the reward of each chosen action (1 positive, 0 negative, null none yet). */
export interface LoggedDecision extends DecisionRecord {
  rewards: Record<string, 0 | 1 | null>;
}

import { meanAndCi, type OpeEstimate, type OpeRound, offPolicyEstimates } from './ope.ts';

/** A candidate policy judged on logged first slots: the part replay and shadow mode share. */
interface Verdict {
  /** Logged decisions read. */
  decisions: number;
  /** Decisions whose first-slot action has an answer: the rounds the estimates use. */
  rounds: number;
  /** The logged (production) policy's first-slot accept rate with a 95 % interval, on the same rounds. */
  logged: { estimate: number; ci: [number, number] };
  /** The candidate's estimated first-slot accept rate (DM, IPS, SNIPS, DR). */
  estimates: OpeEstimate[];
  /** Share of rounds where the candidate's own draw picked the logged first-slot action. */
  agreement: number;
}

function verdict(decisions: number, rounds: readonly OpeRound[], agreed: number): Verdict {
  const logged = meanAndCi(rounds.map((r) => r.reward));
  return {
    decisions,
    rounds: rounds.length,
    logged: { estimate: logged.mean, ci: logged.ci },
    estimates: rounds.length > 0 ? offPolicyEstimates(rounds) : [],
    agreement: rounds.length > 0 ? agreed / rounds.length : Number.NaN,
  };
}

export interface EvaluationReport extends Verdict {
  policy: PolicySpec;
  /** Decisions left out: no answer to the first slot yet, or nothing eligible. */
  skipped: { unanswered: number; noCandidates: number };
}

export interface EvaluateOptions {
  seed?: number;
  /** Called after each decision with the number read so far. */
  onProgress?: (done: number) => void;
}

export async function evaluatePolicy(
  log: AsyncIterable<LoggedDecision>,
  spec: PolicySpec,
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  const models = new Map<string, Learner>();
  const model = (actionId: string) => {
    let m = models.get(actionId);
    if (!m) {
      m = LEARNERS[spec.learner](spec.learnerOptions);
      models.set(actionId, m);
    }
    return m;
  };
  const explorer = policyExplorer(spec);
  const needsSd = spec.explorer === 'thompson';
  const rng = mulberry32(options.seed ?? 1);
  const rounds: OpeRound[] = [];
  const skipped = { unanswered: 0, noCandidates: 0 };
  let decisions = 0;
  let learned = 0;
  let agreed = 0;
  for await (const d of log) {
    decisions++;
    const top = d.chosen.find((c) => c.rank === 1);
    const reward = top ? d.rewards[top.actionId] : undefined;
    if (!top || d.candidates.length === 0) skipped.noCandidates++;
    else if (reward === null || reward === undefined) skipped.unanswered++;
    else {
      // Frozen: all candidates' models score this one row, which they then read once (see learn/rowView.ts).
      const x = Object.freeze({ ...d.features });
      const dist = policyDistribution(
        spec,
        explorer,
        d.candidates,
        (c) => {
          const m = model(c.actionId);
          return {
            propensity: m.predict(x),
            logitSd: needsSd ? m.logitSd(x) : 0,
            evidence: m.responses,
          };
        },
        rng,
        learned,
      )!;
      rounds.push({
        reward,
        loggingProbability: top.probability,
        targetProbability: dist.probabilities.get(top.actionId) ?? 0,
        directValue: dist.expectedReward,
        modelledReward: dist.propensities.get(top.actionId) ?? 0,
      });
      if (dist.choice === top.actionId) agreed++;
    }
    // Then learn every answered slot, as the engine did.
    for (const c of d.chosen) {
      const r = d.rewards[c.actionId];
      if (r === 0 || r === 1) {
        model(c.actionId).learn(d.features, r);
        learned++;
      }
    }
    options.onProgress?.(decisions);
  }
  return { policy: spec, skipped, ...verdict(decisions, rounds, agreed) };
}

export interface ShadowReport extends Verdict {
  /** The shadow policies seen in the range (normally one). */
  policies: string[];
  skipped: { unanswered: number; noShadow: number };
}

/**
 * Shadow mode's verdict from the decision log: each decision logged the shadow policy's probability of
 * production's first choice and its modelled accept rates, so the estimators need no replay.
 */
export async function shadowReport(log: AsyncIterable<LoggedDecision>): Promise<ShadowReport> {
  const rounds: OpeRound[] = [];
  const policies = new Set<string>();
  const skipped = { unanswered: 0, noShadow: 0 };
  let decisions = 0;
  let agreed = 0;
  for await (const d of log) {
    decisions++;
    const top = d.chosen.find((c) => c.rank === 1);
    if (!d.shadow || !top) {
      skipped.noShadow++;
      continue;
    }
    const reward = d.rewards[top.actionId];
    if (reward === null || reward === undefined) {
      skipped.unanswered++;
      continue;
    }
    policies.add(d.shadow.policy);
    rounds.push({
      reward,
      loggingProbability: top.probability,
      targetProbability: d.shadow.probability,
      directValue: d.shadow.expectedReward,
      modelledReward: d.shadow.modelledReward,
    });
    if (d.shadow.choice === top.actionId) agreed++;
  }
  return { policies: [...policies], skipped, ...verdict(decisions, rounds, agreed) };
}

/** Logged decisions in [from, to) in time order, read page by page. */
export async function* decisionLog(
  store: Pick<Store, 'decisionLog'>,
  query: { from: number; to: number; positive: readonly string[]; pageSize?: number },
): AsyncGenerator<LoggedDecision> {
  const limit = query.pageSize ?? 1000;
  let after: { at: number; id: string } | undefined;
  for (;;) {
    const page = await store.decisionLog({ from: query.from, to: query.to, limit, after });
    for (const { answers, ...d } of page) {
      const rewards: LoggedDecision['rewards'] = {};
      for (const [actionId, flags] of Object.entries(answers))
        rewards[actionId] = rewardOfFlags(flags, query.positive);
      yield { ...d, rewards };
    }
    if (page.length < limit) return;
    const last = page[page.length - 1]!;
    after = { at: last.at, id: last.id };
  }
}

/** The report as a table for the terminal. */
export function formatEvaluation(r: EvaluationReport): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(2)} %` : 'n/a');
  const ci = (c: [number, number]) => `[${pct(c[0])}, ${pct(c[1])}]`;
  const lines = [
    `policy ${r.policy.name}: ${r.policy.learner} / ${r.policy.explorer}` +
      (Object.keys(r.policy.levers).length > 0 ? ` / levers ${JSON.stringify(r.policy.levers)}` : ''),
    `decisions read ${r.decisions}; rounds ${r.rounds} (skipped: ${r.skipped.unanswered} unanswered, ${r.skipped.noCandidates} without candidates)`,
    `first-slot accept rate, 95 % interval:`,
    `  logged policy     ${pct(r.logged.estimate).padStart(9)}  ${ci(r.logged.ci)}`,
    ...r.estimates.map(
      (e) =>
        `  candidate ${e.estimator.padEnd(7)} ${pct(e.estimate).padStart(9)}  ${ci(e.ci)}  effective n ${Math.round(e.effectiveSampleSize)}`,
    ),
    `agreement with the logged first choice: ${pct(r.agreement)}`,
  ];
  return lines.join('\n');
}
