// The one small interface every online propensity learner implements (see DESIGN.md, "Seams").

/** What a learner sees of a customer at decision time: flat names (`customer.age`, `context.intent`). */
export type FeatureValue = number | string | boolean | null | undefined;
export type Features = Readonly<Record<string, FeatureValue>>;

export interface LearnerReport {
  kind: string;
  /** Number of (weighted) responses learned from: the model's evidence. */
  responses: number;
  positives: number;
  /** Posterior mean acceptance rate, ignoring features. */
  successRate: number;
}

/** A learner's state as plain JSON; `kind` names the learner that can read it back. */
export interface LearnerState {
  kind: string;
  [field: string]: unknown;
}

/** Checks one response's reward (in [0, 1]) and weight (finite, >= 0); every learner calls it first. */
export function checkResponse(reward: number, weight: number): void {
  if (!(weight >= 0) || !Number.isFinite(weight)) throw new RangeError('weight must be a finite number >= 0');
  if (!(reward >= 0 && reward <= 1)) throw new RangeError('reward must be in [0, 1]');
}

/** Checks a forgetting factor; every learner calls it first. */
export function checkForgetFactor(factor: number): void {
  if (!(factor > 0 && factor <= 1)) throw new RangeError('forget factor must be in (0, 1]');
}

export interface Learner {
  readonly kind: string;
  /** Responses learned from (weighted): the model's evidence. */
  readonly responses: number;
  /** Probability in [0, 1] that the customer accepts. Must not change the learner. */
  predict(x: Features): number;
  /** Standard deviation of the model's log-odds at x: its uncertainty, used by Thompson sampling. */
  logitSd(x: Features): number;
  /**
   * Takes back a response learned earlier (a late positive replaces the negative that an expired response
   * window taught). Exact for count-based learners, one reverse step for the logistic one.
   */
  unlearn(x: Features, reward: number, weight?: number): void;
  /** Learns from one response; reward is 1 (positive) or 0 (negative), weight defaults to 1. */
  learn(x: Features, reward: number, weight?: number): void;
  /**
   * Multiplies the evidence learned so far by `factor` in (0, 1]: older responses count less. The engine calls
   * it for forgetting in time (`learning.halfLifeDays`); the posterior widens back towards the prior.
   */
  forget(factor: number): void;
  toJSON(): LearnerState;
  /** Adds another learner's sufficient statistics to this one (both started from the same prior). */
  merge(other: Learner): void;
  report(): LearnerReport;
  /**
   * How much each predictor tells about the response (0 = nothing), for model reports; learners that cannot
   * name their predictors (hashed weights) leave it out.
   */
  importance?(): PredictorImportance[];
  /**
   * How much each feature of x moved the log-odds of the prediction, largest first (for decision explanations);
   * learners without features (betaBinomial) leave it out.
   */
  explain?(x: Features): FeatureContribution[];
}

export interface FeatureContribution {
  /** The feature's name, as the learner saw it (`customer.age`, `context.intent`). */
  name: string;
  value: FeatureValue;
  /** Change of the log-odds this feature caused, against the model without it (positive: more likely). */
  contribution: number;
}

/** Contributions sorted by absolute size, zero ones left out. */
export function rankContributions(list: FeatureContribution[]): FeatureContribution[] {
  return list
    .filter((c) => c.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
}

export interface PredictorImportance {
  name: string;
  /** Gini = 2 · AUC − 1 of the predictor on its own (binned learner). */
  importance: number;
  /** Predictors switched off (too little signal) do not count in predictions. */
  active: boolean;
}
