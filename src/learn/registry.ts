// Creates learners by name and reads them back from their JSON state.
import { BetaBinomial } from './betaBinomial.ts';
import type { Learner, LearnerState } from './learner.ts';

export type LearnerFactory = () => Learner;

const readers: Record<string, (state: LearnerState) => Learner> = {
  betaBinomial: (s) => BetaBinomial.fromJSON(s),
};

export function learnerFromJSON(state: LearnerState): Learner {
  const read = readers[state.kind];
  if (!read) throw new TypeError(`unknown learner kind '${state.kind}'`);
  return read(state);
}

export const defaultLearnerFactory: LearnerFactory = () => new BetaBinomial();
