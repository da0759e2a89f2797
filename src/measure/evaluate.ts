// Replay of logged decisions: how would a candidate policy (another learner, explorer or lever set) have done?
// The candidate learns the log's outcomes in the order and at the time the engine learned them, through the
// engine's own learning path (core/modelSet.ts), so each decision is scored with what the candidate would have
// known then (progressive validation), and the off-policy estimators judge its first-slot choices against the
// logged choice probabilities.

import { type Catalog, sharedActionFeatures } from '../core/catalog.ts';
import { lessonOf, type ModelContext, ModelSet } from '../core/modelSet.ts';
import { type PolicySpec, policyDistribution, policyExplorer } from '../core/policy.ts';
import { mulberry32 } from '../core/random.ts';
import type { DecisionRecord, LearnedOutcome, Store } from '../store/store.ts';
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

/** What a replay learns from: the log's outcomes under the catalog they were learned with. */
export interface ReplaySource {
  /** Logged decisions in time order (`decisionLog`). */
  log: AsyncIterable<LoggedDecision>;
  /** Learned outcomes in sequence order (`learnedOutcomes`), each taught when it was recorded. */
  outcomes: AsyncIterable<LearnedOutcome>;
  /** The catalog the engine learned them under (the active one): shared models, forgetting, rewards. */
  catalog: Catalog;
}

/**
 * Replays the log with a candidate policy and returns its report and its models. The candidate learns through
 * the engine's own learning path (ModelSet: outcome order, shared models, forgetting in time, expiries and their
 * corrections): a candidate with production's learner ends with production's models, one with another learner
 * learns exactly what that learner would have learned live.
 */
export async function replayPolicy(
  source: ReplaySource,
  spec: PolicySpec,
  options: EvaluateOptions = {},
): Promise<{ report: EvaluationReport; models: ModelSet }> {
  const { catalog } = source;
  const production = catalog.definition.learning.learner;
  const context: ModelContext = {
    catalog,
    actionFeatures: sharedActionFeatures(catalog),
    shadow: undefined,
    learner:
      spec.learner === production && spec.learnerOptions === undefined
        ? undefined
        : { kind: spec.learner, options: spec.learnerOptions },
  };
  const models = new ModelSet(() => context);
  const explorer = policyExplorer(spec);
  const needsSd = spec.explorer === 'thompson';
  const rng = mulberry32(options.seed ?? 1);
  const rounds: OpeRound[] = [];
  const skipped = { unanswered: 0, noCandidates: 0 };
  const outcomes = source.outcomes[Symbol.asyncIterator]();
  let next = await outcomes.next();
  // The engine's round: the highest outcome sequence number learned.
  let learnedSeq = 0;
  let decisions = 0;
  let agreed = 0;
  const teachUntil = async (at: number) => {
    while (!next.done && next.value.at <= at) {
      const o = next.value;
      // As the engine's folds did: an expiry a fold had taught is in the log, and the late positive that took it
      // back takes it back here too; an expiry taken back before any fold is not (and there is nothing to undo).
      const lesson = lessonOf(catalog, o, o.corrects > 0 && o.correctsFolded);
      if (lesson) {
        models.teach(lesson);
        learnedSeq = Math.max(learnedSeq, o.seq);
      }
      next = await outcomes.next();
    }
  };
  for await (const d of source.log) {
    // What the engine had learned when it decided: every outcome recorded up to then.
    await teachUntil(d.at);
    decisions++;
    const top = d.chosen.find((c) => c.rank === 1);
    const reward = top ? d.rewards[top.actionId] : undefined;
    if (!top || d.candidates.length === 0) skipped.noCandidates++;
    else if (reward === null || reward === undefined) skipped.unanswered++;
    else {
      // Frozen: all candidates' models score this one row, which they then read once (see learn/binned/rowView.ts).
      const x = Object.freeze({ ...d.features });
      const dist = policyDistribution(
        spec,
        explorer,
        d.candidates,
        (c) => {
          const m = models.model(models.keyOf(c.actionId));
          const input = models.modelInput(c.actionId, x);
          return {
            propensity: m.predict(input),
            logitSd: needsSd ? m.logitSd(input) : 0,
            evidence: m.responses,
          };
        },
        rng,
        learnedSeq,
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
    options.onProgress?.(decisions);
  }
  await teachUntil(Number.POSITIVE_INFINITY);
  return { report: { policy: spec, skipped, ...verdict(decisions, rounds, agreed) }, models };
}

/** The candidate's report (see `replayPolicy`). */
export async function evaluatePolicy(
  source: ReplaySource,
  spec: PolicySpec,
  options: EvaluateOptions = {},
): Promise<EvaluationReport> {
  return (await replayPolicy(source, spec, options)).report;
}

/** The learned outcomes in sequence order, read page by page. */
export async function* learnedOutcomes(
  store: Pick<Store, 'learnedOutcomesAfter'>,
  pageSize = 1000,
): AsyncGenerator<LearnedOutcome> {
  let after = 0;
  for (;;) {
    const page = await store.learnedOutcomesAfter(after, pageSize);
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.seq;
  }
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
