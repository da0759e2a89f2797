// A predictor's bins and their counts: adaptive quantile bins for numbers (re-placed from a reservoir sample as
// values arrive), one bin per level for categories, and a bin for missing values; how a response is counted,
// how bins move, and how two predictors' counts add up.
import type { FeatureValue } from '../learner.ts';

/** What both kinds count: positives and negatives per bin, for missing values, and in total (see Predictor). */
interface Counts {
  pos: number[];
  neg: number[];
  missPos: number;
  missNeg: number;
  tp: number;
  tn: number;
  ref: number;
}

export interface NumericPredictor extends Counts {
  type: 'numeric';
  /** Upper bounds of all bins but the last, ascending: bin i holds values in (cuts[i-1], cuts[i]]. */
  cuts: number[];
  sample: number[];
  seen: number;
  nextRebin: number;
}

export interface CategoricalPredictor extends Counts {
  type: 'categorical';
  levels: Map<string, number>;
}

/**
 * Both kinds also keep `tp` and `tn`, the sums of their positive and negative counts (kept as they are taught,
 * not re-added from the bins), and `ref`, the total the bins' prior weights were last computed from: moved to
 * the total once that has grown by a hundredth. Both are state, so that the terms a prediction uses are a function
 * of the stored state alone: a model restored in another process, or replayed from the log, predicts and learns
 * exactly as the one that learned in memory and kept its terms up to date one bin at a time.
 */
export type Predictor = NumericPredictor | CategoricalPredictor;

/** How far predictors grow: the model's options that shape them. */
export interface PredictorLimits {
  maxBins: number;
  reservoirSize: number;
  maxLevels: number;
}

/** The level later new levels share once a categorical predictor has `maxLevels`. */
export const OTHER = '\u0000other';

export function isMissing(v: FeatureValue): boolean {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v));
}

export function numberOf(v: FeatureValue): number {
  return typeof v === 'number' ? v : Number.NaN;
}

/** Index of the bin for v: the first cut >= v, or the last bin. */
export function binIndex(cuts: readonly number[], v: number): number {
  const n = cuts.length;
  if (n <= 16) {
    // Few cuts (the default is at most 15): a linear scan beats the binary search's unpredictable branches.
    let k = 0;
    while (k < n && v > cuts[k]!) k++;
    return k;
  }
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (v <= cuts[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The bin of v in predictor p: an index, -1 for missing, -2 for a level never seen. */
export function binOf(p: Predictor, v: FeatureValue): number {
  if (isMissing(v)) return -1;
  if (p.type === 'numeric') return typeof v === 'number' ? binIndex(p.cuts, v) : -1;
  return p.levels.get(String(v)) ?? p.levels.get(OTHER) ?? -2;
}

/** Bin boundaries from a sample: one bin per distinct value when there are few, else quantiles. */
function cutsFrom(sample: readonly number[], maxBins: number, wanted: number): number[] {
  // A typed array sorts numerically without a comparator call per comparison (rebinning is frequent early on).
  const sorted = Float64Array.from(sample).sort();
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
  if (distinct.length <= maxBins) {
    const cuts: number[] = [];
    for (let i = 0; i + 1 < distinct.length; i++) cuts.push(distinct[i]!);
    return cuts;
  }
  const bins = Math.max(2, Math.min(maxBins, wanted));
  const cuts: number[] = [];
  for (let i = 1; i < bins; i++) {
    const c = sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))]!;
    // A cut equal to the largest value would leave the last bin empty; ties collapse.
    if (c < sorted[sorted.length - 1]! && (cuts.length === 0 || c > cuts[cuts.length - 1]!)) cuts.push(c);
  }
  return cuts;
}

/**
 * Moves positive and negative counts kept under old cuts to new cuts. The reservoir tells how an old bin's
 * values spread over the new bins; an old bin without sampled values goes whole to the new bin holding its
 * upper edge.
 */
function rebinCounts(
  oldCuts: readonly number[],
  oldPos: readonly number[],
  oldNeg: readonly number[],
  newCuts: readonly number[],
  sample: readonly number[],
): { pos: number[]; neg: number[] } {
  const pos = new Array<number>(newCuts.length + 1).fill(0);
  const neg = new Array<number>(newCuts.length + 1).fill(0);
  // spread[from * width + to]: sampled values that were in old bin `from` and are in new bin `to`.
  const width = newCuts.length + 1;
  const spread = new Float64Array((oldCuts.length + 1) * width);
  const inOld = new Float64Array(oldCuts.length + 1);
  for (const v of sample) {
    const from = binIndex(oldCuts, v);
    spread[from * width + binIndex(newCuts, v)]! += 1;
    inOld[from]! += 1;
  }
  for (let i = 0; i < oldPos.length; i++) {
    const p = oldPos[i]!;
    const n = oldNeg[i]!;
    if (p === 0 && n === 0) continue;
    const total = inOld[i]!;
    if (total === 0) {
      const edge = i < oldCuts.length ? oldCuts[i]! : (oldCuts[oldCuts.length - 1] ?? 0) + 1;
      const to = binIndex(newCuts, edge);
      pos[to]! += p;
      neg[to]! += n;
      continue;
    }
    for (let to = 0; to < width; to++) {
      const share = spread[i * width + to]! / total;
      if (share > 0) {
        pos[to]! += p * share;
        neg[to]! += n * share;
      }
    }
  }
  return { pos, neg };
}

/** A tiny deterministic generator for the reservoir (its state is part of the model's JSON). */
function nextRandom(state: { s: number }): number {
  state.s = (state.s + 0x6d2b79f5) | 0;
  let t = Math.imul(state.s ^ (state.s >>> 15), 1 | state.s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A predictor for a name first seen with value v: numeric for numbers, categorical for anything else. */
export function newPredictor(v: NonNullable<FeatureValue>): Predictor {
  if (typeof v === 'number') {
    return {
      type: 'numeric',
      cuts: [],
      pos: [0],
      neg: [0],
      missPos: 0,
      missNeg: 0,
      tp: 0,
      tn: 0,
      ref: 0,
      sample: [],
      seen: 0,
      nextRebin: 4,
    };
  }
  return {
    type: 'categorical',
    levels: new Map(),
    pos: [],
    neg: [],
    missPos: 0,
    missNeg: 0,
    tp: 0,
    tn: 0,
    ref: 0,
  };
}

/** True when counting the next value in p re-places its bins (its terms all change then). */
export function rebinsNext(p: Predictor): boolean {
  return p.type === 'numeric' && p.seen + 1 >= p.nextRebin;
}

/**
 * Counts one response in its bin and returns the bin (-1: missing); `known`: v's bin if known (>= 0). `rng`
 * draws the reservoir's replacements.
 */
export function addToPredictor(
  p: Predictor,
  v: FeatureValue,
  wp: number,
  wn: number,
  known: number,
  limits: PredictorLimits,
  rng: { s: number },
): number {
  p.tp += wp;
  p.tn += wn;
  if (isMissing(v) || (p.type === 'numeric' && typeof v !== 'number')) {
    p.missPos += wp;
    p.missNeg += wn;
    return -1;
  }
  if (p.type === 'numeric') {
    const value = v as number;
    p.seen++;
    if (p.sample.length < limits.reservoirSize) p.sample.push(value);
    else {
      const j = Math.floor(nextRandom(rng) * p.seen);
      if (j < limits.reservoirSize) p.sample[j] = value;
    }
    let b = known;
    if (p.seen >= p.nextRebin) {
      rebin(p, limits.maxBins);
      p.nextRebin = p.seen < limits.reservoirSize * 8 ? p.seen * 2 : p.seen + limits.reservoirSize * 8;
      b = -2;
    }
    if (b < 0) b = binIndex(p.cuts, value);
    p.pos[b]! += wp;
    p.neg[b]! += wn;
    return b;
  }
  if (known >= 0) {
    p.pos[known]! += wp;
    p.neg[known]! += wn;
    return known;
  }
  const key = String(v);
  let level = p.levels.get(key);
  if (level === undefined) {
    const overflow = p.levels.size >= limits.maxLevels;
    level = overflow ? p.levels.get(OTHER) : undefined;
    if (level === undefined) {
      level = p.pos.length;
      p.levels.set(overflow ? OTHER : key, level);
      p.pos.push(0);
      p.neg.push(0);
    }
  }
  p.pos[level]! += wp;
  p.neg[level]! += wn;
  return level;
}

/** Counts one response as missing (a predictor absent from the row). */
export function addMissing(p: Predictor, wp: number, wn: number): void {
  p.missPos += wp;
  p.missNeg += wn;
  p.tp += wp;
  p.tn += wn;
}

/** Takes back one response counted in bin b (-1: missing), never below 0. */
export function removeFromPredictor(p: Predictor, b: number, wp: number, wn: number): void {
  const less = (n: number, w: number) => Math.max(0, n - w);
  p.tp = less(p.tp, wp);
  p.tn = less(p.tn, wn);
  if (b === -1) {
    p.missPos = less(p.missPos, wp);
    p.missNeg = less(p.missNeg, wn);
  } else {
    p.pos[b] = less(p.pos[b]!, wp);
    p.neg[b] = less(p.neg[b]!, wn);
  }
}

/** Multiplies all of p's evidence by f (< 1): older responses count less. */
export function decayPredictor(p: Predictor, f: number): void {
  for (let b = 0; b < p.pos.length; b++) {
    p.pos[b] = p.pos[b]! * f;
    p.neg[b] = p.neg[b]! * f;
  }
  p.missPos *= f;
  p.missNeg *= f;
  p.tp *= f;
  p.tn *= f;
  p.ref *= f;
}

function rebin(p: NumericPredictor, maxBins: number) {
  const wanted = Math.round(Math.sqrt(p.seen) * 1.5);
  const cuts = cutsFrom(p.sample, maxBins, wanted);
  if (cuts.length === p.cuts.length && cuts.every((c, i) => c === p.cuts[i])) return;
  const moved = rebinCounts(p.cuts, p.pos, p.neg, cuts, p.sample);
  p.pos = moved.pos;
  p.neg = moved.neg;
  p.cuts = cuts;
}

/**
 * Adds q's counts to p (same name, same kind: the caller checks). Numeric counts move onto p's cuts; the
 * reservoir keeps both streams in proportion to what each saw.
 */
export function mergePredictor(p: Predictor, q: Predictor, reservoirSize: number): void {
  p.missPos += q.missPos;
  p.missNeg += q.missNeg;
  p.tp += q.tp;
  p.tn += q.tn;
  p.ref = p.tp + p.tn;
  if (p.type === 'numeric' && q.type === 'numeric') {
    const { pos, neg } = rebinCounts(q.cuts, q.pos, q.neg, p.cuts, q.sample);
    pos.forEach((v, i) => {
      p.pos[i]! += v;
    });
    neg.forEach((v, i) => {
      p.neg[i]! += v;
    });
    const total = p.seen + q.seen;
    const takeOther = Math.round((reservoirSize * q.seen) / Math.max(1, total));
    p.sample = [...p.sample.slice(0, reservoirSize - takeOther), ...q.sample.slice(0, takeOther)];
    p.seen = total;
  } else if (p.type === 'categorical' && q.type === 'categorical') {
    for (const [level, qi] of q.levels) {
      let pi = p.levels.get(level);
      if (pi === undefined) {
        pi = p.pos.length;
        p.levels.set(level, pi);
        p.pos.push(0);
        p.neg.push(0);
      }
      p.pos[pi]! += q.pos[qi]!;
      p.neg[pi]! += q.neg[qi]!;
    }
  }
}

export function clonePredictor(p: Predictor): Predictor {
  return p.type === 'numeric'
    ? { ...p, cuts: [...p.cuts], pos: [...p.pos], neg: [...p.neg], sample: [...p.sample] }
    : { ...p, levels: new Map(p.levels), pos: [...p.pos], neg: [...p.neg] };
}
