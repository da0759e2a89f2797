// Learners and explorers by name: the catalog, the engine and the benchmarks choose them with these names.
import { BayesianLogistic } from './bayesianLogistic.ts';
import { BetaBinomial } from './betaBinomial.ts';
import { AdaptiveBinnedBayes } from './binned/model.ts';
import type { RowViews } from './binned/rowView.ts';
import { EpsilonGreedy } from './explore/epsilonGreedy.ts';
import { SquareCb } from './explore/squareCb.ts';
import { Thompson } from './explore/thompson.ts';
import type { Explorer } from './explorer.ts';
import type { Learner, LearnerState } from './learner.ts';

/**
 * `views`: the row views of the set of models the learner joins (an engine's model set, a benchmark pass), so
 * that a frozen row is read once for all of them; learners that do not use them ignore them.
 */
export type LearnerFactory = (options?: object, views?: RowViews) => Learner;

export const LEARNERS = {
  adaptiveBinnedBayes: (options?: object, views?: RowViews) => new AdaptiveBinnedBayes(options, views),
  bayesianLogistic: (options?: object) => new BayesianLogistic(options),
  betaBinomial: (options?: object) => new BetaBinomial(options),
} satisfies Record<string, LearnerFactory>;
export type LearnerName = keyof typeof LEARNERS;
export const LEARNER_NAMES = Object.keys(LEARNERS) as [LearnerName, ...LearnerName[]];

export const EXPLORERS = {
  squareCb: (options?: object) => new SquareCb(options),
  thompson: (options?: object) => new Thompson(options),
  epsilonGreedy: (options?: { epsilon?: number }) => new EpsilonGreedy(options?.epsilon ?? 0.05),
} satisfies Record<string, (options?: object) => Explorer>;
export type ExplorerName = keyof typeof EXPLORERS;
export const EXPLORER_NAMES = Object.keys(EXPLORERS) as [ExplorerName, ...ExplorerName[]];

/** The engine's default pair, chosen by the cbify and propensity benchmarks (see README). */
export const DEFAULT_LEARNER: LearnerName = 'adaptiveBinnedBayes';
export const DEFAULT_EXPLORER: ExplorerName = 'squareCb';

const readers: Record<string, (state: LearnerState, views?: RowViews) => Learner> = {
  adaptiveBinnedBayes: (s, views) => AdaptiveBinnedBayes.fromJSON(s, views),
  bayesianLogistic: (s) => BayesianLogistic.fromJSON(s),
  betaBinomial: (s) => BetaBinomial.fromJSON(s),
};

/** Restores a stored learner; throws a TypeError that says why when the state cannot be read. */
export function learnerFromJSON(state: LearnerState, views?: RowViews): Learner {
  const read = readers[state.kind];
  if (!read) throw new TypeError(`unknown learner kind '${state.kind}'`);
  return read(state, views);
}
