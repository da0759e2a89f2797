// The binned learner's stored state, versioned. Format 2 is the first with a version; states without one
// (format 1, stored before) read the same, and predictors stored before they kept their totals get them from
// their bins. A newer format, or a state that does not have this shape, is refused with a message that says
// why, so that the model set can rebuild that model from the outcome log instead of serving a broken one.
import { z } from 'zod';
import type { LearnerState } from '../learner.ts';
import type { Predictor } from './predictors.ts';

export const STATE_FORMAT = 2;

const counts = z.array(z.number());
const shared = {
  pos: counts,
  neg: counts,
  missPos: z.number(),
  missNeg: z.number(),
  // Absent before predictors kept their totals (see withTotals).
  tp: z.number().optional(),
  tn: z.number().optional(),
  ref: z.number().optional(),
  weight: z.number().optional(),
  weightH: z.number().optional(),
};
const storedPredictor = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('numeric'),
    cuts: counts,
    sample: counts,
    seen: z.number(),
    nextRebin: z.number(),
    ...shared,
  }),
  z.object({ type: z.literal('categorical'), levels: z.array(z.tuple([z.string(), z.number()])), ...shared }),
]);
const storedPairs = z.object({
  seen: z.number().optional(),
  names: z.array(z.string()),
  coders: z.array(
    z.object({
      kind: z.enum(['numeric', 'categorical']),
      cuts: counts.optional(),
      levels: z.array(z.tuple([z.string(), z.number()])).optional(),
    }),
  ),
  tables: z.array(counts),
  chosen: z.array(z.object({ i: z.number(), j: z.number(), weight: z.number(), weightH: z.number() })),
});
const storedState = z.object({
  kind: z.literal('adaptiveBinnedBayes'),
  format: z.number().int().optional(),
  options: z.record(z.string(), z.unknown()),
  positives: z.number(),
  negatives: z.number(),
  calibration: z.array(z.number()).length(6),
  rng: z.number(),
  responsesAtAuc: z.number(),
  inactive: z.array(z.string()),
  sinceDecay: z.number().optional(),
  predictors: z.record(z.string(), storedPredictor),
  pairs: storedPairs.optional(),
  nextPairSelect: z.number().optional(),
});

export type StoredPairs = z.infer<typeof storedPairs>;

/** A stored state, checked, with its predictors restored (copies: the state must not move when the model learns). */
export interface ReadState extends Omit<z.infer<typeof storedState>, 'predictors'> {
  predictors: Array<{ name: string; predictor: Predictor; weight: number; weightH: number }>;
}

/** Reads a stored state of any format this version knows; throws a clear error for any other. */
export function readState(state: LearnerState): ReadState {
  const format = state.format ?? 1;
  if (typeof format !== 'number' || !Number.isInteger(format) || format < 1)
    throw new TypeError(`adaptiveBinnedBayes state has an invalid format ${JSON.stringify(state.format)}`);
  if (format > STATE_FORMAT)
    throw new TypeError(
      `adaptiveBinnedBayes state format ${format} is newer than this version reads (up to ${STATE_FORMAT})`,
    );
  const parsed = storedState.safeParse(state);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TypeError(
      `adaptiveBinnedBayes state is not readable at ${issue.path.join('.')}: ${issue.message}`,
    );
  }
  const s = parsed.data;
  const predictors = Object.entries(s.predictors).map(([name, p]) => {
    // Built field by field, in the order a new predictor has (see newPredictor), with copies of the arrays.
    // States stored before predictors kept their totals: the totals from the bins, the reference at the total.
    const kept = p.tp !== undefined && p.tn !== undefined && p.ref !== undefined;
    const tp = kept ? p.tp! : p.missPos + p.pos.reduce((a, b) => a + b, 0);
    const tn = kept ? p.tn! : p.missNeg + p.neg.reduce((a, b) => a + b, 0);
    const ref = kept ? p.ref! : tp + tn;
    const counts = { pos: [...p.pos], neg: [...p.neg], missPos: p.missPos, missNeg: p.missNeg, tp, tn, ref };
    const predictor: Predictor =
      p.type === 'numeric'
        ? {
            type: 'numeric',
            cuts: [...p.cuts],
            ...counts,
            sample: [...p.sample],
            seen: p.seen,
            nextRebin: p.nextRebin,
          }
        : { type: 'categorical', levels: new Map(p.levels), ...counts };
    return { name, predictor, weight: p.weight ?? 1, weightH: p.weightH ?? 0 };
  });
  return { ...s, predictors };
}

/** A predictor as stored, with its weight (copies, not the live arrays). */
export function predictorJSON(p: Predictor, weight: number, weightH: number): Record<string, unknown> {
  const w = { weight, weightH };
  return p.type === 'numeric'
    ? { ...p, cuts: [...p.cuts], pos: [...p.pos], neg: [...p.neg], sample: [...p.sample], ...w }
    : { ...p, pos: [...p.pos], neg: [...p.neg], ...w, levels: [...p.levels.entries()] };
}
