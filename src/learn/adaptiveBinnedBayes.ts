// Adaptive Bayesian binned model, in the style of the adaptive decision managers of commercial NBA suites:
// every predictor is binned online (numeric: adaptive quantile bins; categorical: one bin per level; missing:
// a bin of its own), each bin counts positive and negative responses, and the bins' smoothed log-likelihood
// ratios add up to naive-Bayes log-odds. Each predictor's ratio is weighted by a learned weight (weighted naive
// Bayes: a diagonal Newton step per response with a prior around 1), so that correlated predictors are not counted
// twice; pairwise corrections (pairCorrections.ts) add the interactions of the clearest dependent pairs; an optional
// Platt step calibrates the sum. Predictors whose own AUC stays near 0.5 are switched off. Hand-written because it
// is the product itself: no library learns this way online with mergeable sufficient statistics.

import { integerBinTable, MAX_TABLE_WIDTH } from './integerBins.ts';
import {
  checkForgetFactor,
  checkResponse,
  type FeatureContribution,
  type Features,
  type FeatureValue,
  type Learner,
  type LearnerReport,
  type LearnerState,
  type PredictorImportance,
  rankContributions,
} from './learner.ts';
import { type Coder, PairCorrections } from './pairCorrections.ts';
import { numericView, slotOf } from './rowView.ts';

export interface AdaptiveBinnedBayesOptions {
  /** Most bins per numeric predictor. */
  maxBins?: number;
  /** Values kept per numeric predictor to place bin boundaries (a reservoir sample). */
  reservoirSize?: number;
  /** Weight of the prior that pulls a bin's likelihood towards the predictor's overall bin frequency. */
  binPrior?: number;
  /** Beta prior of the base rate. */
  priorPositives?: number;
  priorNegatives?: number;
  /** Predictors whose AUC is below this, once they have `aucEvidence` responses, are switched off. */
  minAuc?: number;
  aucEvidence?: number;
  /** Learn a Platt calibration of the naive-Bayes log-odds. */
  calibrate?: boolean;
  /**
   * Weighted naive Bayes: learn one weight per predictor (prior 1, online Newton steps on the log loss), so
   * correlated predictors are not counted twice.
   */
  weighted?: boolean;
  /** Prior precision of the predictor weights around 1. */
  weightPrior?: number;
  /** Shrink each predictor's log-likelihood ratios by how much of their spread exceeds sampling noise. */
  shrink?: boolean;
  /** Responses of the rarer kind (positive or negative) after which the shrinkage is fully trusted. */
  shrinkAfter?: number;
  /** Grow the bin prior with the square root of the number of predictors (beyond 16). */
  scalePrior?: boolean;
  /** Scale of the bins' share of the log-odds uncertainty (0: only the base rate's uncertainty). */
  sdScale?: number;
  /**
   * Exponential forgetting: a response's weight halves after this many later responses (0: never forget).
   * Applied in steps of a tenth of the half-life, so that it costs nothing per response.
   */
  halfLife?: number;
  /** Most levels kept per categorical predictor; later new levels share one bin. */
  maxLevels?: number;
  /**
   * Pairwise corrections (see pairCorrections.ts): at most this many pairs of predictors whose dependence given
   * the outcome is clear add a joint term (0: plain weighted naive Bayes).
   */
  pairs?: number;
  /** Responses before pair statistics start (the codes of numeric predictors are frozen then). */
  pairsAfter?: number;
  /** Pairs are sought among this many predictors, the strongest by their own AUC when the statistics start. */
  pairCandidates?: number;
  seed?: number;
}

// Defaults chosen with `npm run bench:cbify` over all six shared sets at once (no per-set tuning): per-bin
// shrinkage and Platt calibration each helped some sets and hurt others, so they are off by default; predictor
// weights helped five of six sets and bank-marketing (AUC 0.751 → 0.763, log loss 0.402 → 0.305); two pairwise
// corrections among eight candidates took bank-marketing to 0.779 and letter 0.595 → 0.602, the others unchanged
// within ±0.002, for about 15 % more time per example (more pairs or candidates gained nothing and cost more).
const DEFAULTS: Required<AdaptiveBinnedBayesOptions> = {
  maxBins: 16,
  reservoirSize: 256,
  binPrior: 1,
  priorPositives: 1,
  priorNegatives: 9,
  minAuc: 0.51,
  aucEvidence: 400,
  calibrate: false,
  weighted: true,
  weightPrior: 30,
  shrink: false,
  shrinkAfter: 30,
  sdScale: 1,
  scalePrior: true,
  maxLevels: 200,
  pairs: 2,
  pairsAfter: 200,
  pairCandidates: 8,
  halfLife: 0,
  seed: 1,
};

type Options = Required<AdaptiveBinnedBayesOptions>;

/** Prior curvature of the calibration: how many responses it takes before it moves far from the identity. */
const CAL_PRIOR = 5;
const OTHER = '\u0000other';
/** Cells per predictor in the flat view: 15 cuts (+1 padding) and 16 bins. */
const FAST_STRIDE = 16;
/** Kinds of predictor in the flat view: laid out for fast lookups or looked up by name; switched on or off. */
const GENERIC_OFF = 0;
const FAST = 1;
const GENERIC = 2;
const FAST_OFF = 3;
/** Most integers a predictor's direct bin table covers (its slot in the flat view). */
const DIRECT_WIDTH = MAX_TABLE_WIDTH;

interface NumericPredictor {
  type: 'numeric';
  /** Upper bounds of all bins but the last, ascending: bin i holds values in (cuts[i-1], cuts[i]]. */
  cuts: number[];
  pos: number[];
  neg: number[];
  missPos: number;
  missNeg: number;
  tp: number;
  tn: number;
  ref: number;
  sample: number[];
  seen: number;
  nextRebin: number;
}

interface CategoricalPredictor {
  type: 'categorical';
  levels: Map<string, number>;
  pos: number[];
  neg: number[];
  missPos: number;
  missNeg: number;
  tp: number;
  tn: number;
  ref: number;
}

/**
 * Both kinds also keep `tp` and `tn`, the sums of their positive and negative counts (kept as they are taught,
 * not re-added from the bins), and `ref`, the total the bins' prior weights were last computed from: moved to
 * the total once that has grown by a hundredth. Both are state, so that the terms a prediction uses are a function
 * of the stored state alone: a model restored in another process, or replayed from the log, predicts and learns
 * exactly as the one that learned in memory and kept its terms up to date one bin at a time.
 */
type Predictor = NumericPredictor | CategoricalPredictor;

/** Per-predictor cache of log-likelihood ratios, rebuilt lazily after learning. */
interface Cache {
  /** Per bin: log(pos + m·q) − log(neg + m·q); the bin's log-likelihood ratio is this minus `offset`. */
  a: Float64Array;
  missA: number;
  /** log(positives + m) − log(negatives + m) of the predictor. */
  offset: number;
  /** Approximate sampling variance of each bin's log-likelihood ratio. */
  variance: Float64Array;
  missingVariance: number;
  /** Multiplier of the ratios (the shrinkage factor; 1 without shrinkage). */
  factor: number;
  m: number;
  bins: number;
  /** Log-likelihood ratio of a value never seen (an unseen level): the prior says 0. */
  active: boolean;
}

function isMissing(v: FeatureValue): boolean {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v));
}

/** Index of the bin for v: the first cut >= v, or the last bin. */
function binIndex(cuts: readonly number[], v: number): number {
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

/** log(pos + m·q) − log(neg + m·q) with q the bin's smoothed share of all responses. */
function binTerm(pos: number, neg: number, m: number, total: number, bins: number): number {
  const q = (pos + neg + 1) / (total + bins);
  return Math.log(pos + m * q) - Math.log(neg + m * q);
}

/** Sampling variance of a bin's log-likelihood ratio; the +1 keeps empty bins from looking infinitely noisy. */
function binVariance(pos: number, neg: number): number {
  return 1 / (pos + 1) + 1 / (neg + 1);
}

function numberOf(v: FeatureValue): number {
  return typeof v === 'number' ? v : Number.NaN;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export class AdaptiveBinnedBayes implements Learner {
  readonly kind = 'adaptiveBinnedBayes';
  private readonly o: Options;
  // Predictors in arrays (fast to walk when predicting) with a name index.
  private readonly names: string[] = [];
  private readonly list: Predictor[] = [];
  private readonly index = new Map<string, number>();
  private caches: Array<Cache | undefined> = [];
  private positives = 0;
  private negatives = 0;
  /** Weight learned since evidence was last decayed (with forgetting on). */
  private sinceDecay = 0;
  /** log of the smoothed base odds, kept current by learn() and merge(). */
  private baseLogOdds = 0;
  /** Platt calibration: p = sigmoid(a + b * naiveBayesLogOdds). */
  private calA = 0;
  private calB = 1;
  private calN = 0;
  /** Accumulated curvature of the calibration [aa, ab, bb], starting from the prior. */
  private calH: [number, number, number] = [CAL_PRIOR, 0, CAL_PRIOR * 4];
  /** Per predictor (weighted option): its weight and the curvature accumulated beyond the prior. */
  private weights: number[] = [];
  private weightH: number[] = [];
  private scratch = new Float64Array(0);
  private binScratch = new Int32Array(0);
  private readonly rng: { s: number };
  private responsesAtAuc = 0;
  /** Predictors switched off because their own AUC is too low. */
  private inactive = new Set<string>();
  private pairs: PairCorrections | undefined;
  private nextPairSelect = 0;
  private pairScratch = new Float64Array(0);
  /** The flat view of the hot path (see compile); stale after any change to counts, weights or predictors. */
  private fastKind = new Uint8Array(0);
  private fastCuts = new Float64Array(0);
  private fastTerms = new Float64Array(0);
  private fastMissing = new Float64Array(0);
  private fastSlot = new Int32Array(0);
  private fastLow = new Float64Array(0);
  private fastWidth = new Int32Array(0);
  private fastDirect = new Uint8Array(0);
  /** The cuts each predictor's layout was made from (cuts are replaced, never changed in place). */
  private fastLaidOut: Array<readonly number[] | undefined> = [];
  /** Each predictor's slot in the shared row view (rowView.ts). */
  private readonly slots: number[] = [];
  private fastCurrent = false;

  constructor(options: AdaptiveBinnedBayesOptions = {}) {
    this.o = { ...DEFAULTS, ...options };
    this.rng = { s: this.o.seed | 0 };
    this.baseLogOdds = this.computeBaseLogOdds();
  }

  private computeBaseLogOdds(): number {
    return Math.log((this.o.priorPositives + this.positives) / (this.o.priorNegatives + this.negatives));
  }

  get options(): Readonly<Options> {
    return this.o;
  }

  // ---- prediction -------------------------------------------------------------------------------------

  private cache(i: number): Cache {
    const cached = this.caches[i];
    if (cached) return cached;
    const n = this.list[i]!.pos.length;
    // The naive-Bayes sum adds the noise of every predictor, so with many predictors each bin needs more
    // evidence before it moves the log-odds: the prior grows with the square root of the predictor count.
    const m = this.o.binPrior * (this.o.scalePrior ? Math.max(1, Math.sqrt(this.list.length) / 4) : 1);
    const c: Cache = {
      a: new Float64Array(n),
      missA: 0,
      offset: 0,
      variance: new Float64Array(n),
      missingVariance: 0,
      factor: 1,
      m,
      bins: n + 1,
      active: !this.inactive.has(this.names[i]!),
    };
    this.fill(i, c);
    this.caches[i] = c;
    return c;
  }

  /** Computes every term of predictor i's cache from its counts, in place. */
  private fill(i: number, c: Cache) {
    const p = this.list[i]!;
    const { tp, tn, ref } = p;
    const { m, bins } = c;
    for (let b = 0; b < c.a.length; b++) {
      c.a[b] = binTerm(p.pos[b]!, p.neg[b]!, m, ref, bins);
      c.variance[b] = binVariance(p.pos[b]!, p.neg[b]!);
    }
    c.missA = binTerm(p.missPos, p.missNeg, m, ref, bins);
    c.missingVariance = binVariance(p.missPos, p.missNeg);
    c.offset = Math.log(tp + m) - Math.log(tn + m);
    if (this.o.shrink && tp + tn > 0) c.factor = this.shrinkFactor(p, c);
  }

  /**
   * Empirical-Bayes shrinkage: how much of the spread of this predictor's log-likelihood ratios over its bins
   * is more than their sampling noise? Pure-noise predictors shrink to 0, strong ones keep about 1.
   */
  private shrinkFactor(p: Predictor, c: Cache): number {
    const total = p.tp + p.tn;
    const n = p.pos.length;
    const missing = c.missA - c.offset;
    let mean = (p.missPos + p.missNeg) * missing;
    for (let b = 0; b < n; b++) mean += (p.pos[b]! + p.neg[b]!) * (c.a[b]! - c.offset);
    mean /= total;
    let spread = ((p.missPos + p.missNeg) * (missing - mean) ** 2) / total;
    let noise = ((p.missPos + p.missNeg) * c.missingVariance) / total;
    for (let b = 0; b < n; b++) {
      const f = (p.pos[b]! + p.neg[b]!) / total;
      spread += f * (c.a[b]! - c.offset - mean) ** 2;
      noise += f * c.variance[b]!;
    }
    const raw = spread > 0 ? Math.max(0, 1 - noise / spread) : 0;
    // With few responses the noise estimate itself is unreliable: start as plain naive Bayes and hand over
    // to the shrinkage as positives and negatives accumulate.
    const trust = Math.min(1, Math.min(p.tp, p.tn) / this.o.shrinkAfter);
    return trust * raw + (1 - trust);
  }

  /**
   * After predictor i counted one response in bin `b` (-1: the missing bin): moves its reference total once the
   * total has grown by a hundredth and one response (all its terms change then), else updates the one term
   * that changed.
   * `reshaped`: its bins changed (a rebin, a new level), so all its terms change.
   */
  private counted(i: number, b: number, reshaped: boolean) {
    const p = this.list[i]!;
    const c = this.caches[i];
    const total = p.tp + p.tn;
    const grown = total > 1.01 * p.ref + 1;
    if (grown) p.ref = total;
    if (reshaped) this.caches[i] = undefined;
    else if (grown) {
      if (c) this.fill(i, c);
    } else if (c) {
      // Shrinkage looks at all bins; without it only bin b's term and the offset moved.
      if (this.o.shrink) return this.fill(i, c);
      c.offset = Math.log(p.tp + c.m) - Math.log(p.tn + c.m);
      if (b < 0) {
        c.missA = binTerm(p.missPos, p.missNeg, c.m, p.ref, c.bins);
        c.missingVariance = binVariance(p.missPos, p.missNeg);
      } else {
        c.a[b] = binTerm(p.pos[b]!, p.neg[b]!, c.m, p.ref, c.bins);
        c.variance[b] = binVariance(p.pos[b]!, p.neg[b]!);
      }
    }
  }

  /** The bin of v in predictor p: an index, -1 for missing, -2 for a level never seen. */
  private static binOf(p: Predictor, v: FeatureValue): number {
    if (isMissing(v)) return -1;
    if (p.type === 'numeric') return typeof v === 'number' ? binIndex(p.cuts, v) : -1;
    return p.levels.get(String(v)) ?? p.levels.get(OTHER) ?? -2;
  }

  /**
   * Builds the flat view logOdds reads: per predictor a kind (numeric with at most 15 cuts, laid out for fast
   * lookups, or any other, looked up by name; each switched on or off) and its bins' terms already multiplied by
   * shrinkage and weight; the layout of each numeric predictor's cuts
   * (see layout) is redone only when its cuts change. Every model of a decision is asked for the same row, so
   * the view pays for itself many times over between two learns, after which it is rebuilt lazily.
   */
  private compile() {
    const n = this.list.length;
    if (this.fastKind.length < n) {
      const size = Math.max(n, 2 * this.fastKind.length, 8);
      this.fastKind = new Uint8Array(size);
      this.fastCuts = new Float64Array(size * FAST_STRIDE);
      this.fastTerms = new Float64Array(size * FAST_STRIDE);
      this.fastMissing = new Float64Array(size);
      this.fastSlot = new Int32Array(size);
      this.fastLow = new Float64Array(size);
      this.fastWidth = new Int32Array(size);
      this.fastDirect = new Uint8Array(size * DIRECT_WIDTH);
      this.fastLaidOut = [];
    }
    for (let i = 0; i < n; i++) {
      const c = this.caches[i] ?? this.cache(i);
      const p = this.list[i]!;
      const slot = this.slots[i]!;
      if (p.type !== 'numeric' || p.cuts.length >= FAST_STRIDE || slot < 0) {
        this.fastKind[i] = c.active ? GENERIC : GENERIC_OFF;
        continue;
      }
      // Switched-off predictors are laid out too: learning still needs their bins (see binsAt).
      this.fastKind[i] = c.active ? FAST : FAST_OFF;
      this.fastSlot[i] = slot;
      if (this.fastLaidOut[i] !== p.cuts) this.layout(i, p.cuts);
      if (!c.active) continue;
      const base = i * FAST_STRIDE;
      const w = this.weights[i]!;
      for (let b = 0; b <= p.cuts.length; b++) this.fastTerms[base + b] = (c.a[b]! - c.offset) * c.factor * w;
      this.fastMissing[i] = (c.missA - c.offset) * c.factor * w;
    }
    this.fastCurrent = true;
  }

  /**
   * A numeric predictor's cuts padded with +Infinity to 15 for a branch-free binary search, and, when the cuts
   * span few integers, each integer's bin in a table: integer-valued predictors (counts, ages, days, codes: most
   * of them in practice) then find their bin with one lookup.
   */
  private layout(i: number, cuts: readonly number[]) {
    const base = i * FAST_STRIDE;
    for (let k = 0; k < FAST_STRIDE; k++) this.fastCuts[base + k] = k < cuts.length ? cuts[k]! : Infinity;
    const t = integerBinTable(cuts, (v) => binIndex(cuts, v), DIRECT_WIDTH);
    this.fastWidth[i] = t ? t.table.length : 0;
    if (t) {
      this.fastDirect.set(t.table, i * DIRECT_WIDTH);
      this.fastLow[i] = t.low;
    }
    this.fastLaidOut[i] = cuts;
  }

  /** Naive-Bayes log-odds before calibration. The hot path: one lookup per predictor. */
  logOdds(x: Features): number {
    if (!this.fastCurrent) this.compile();
    // Numeric predictors read a frozen row's shared view (see rowView.ts), others look the value up by name.
    const view = numericView(x);
    let z = this.baseLogOdds;
    const list = this.list;
    const names = this.names;
    const kinds = this.fastKind;
    const terms = this.fastTerms;
    for (let i = 0; i < list.length; i++) {
      const kind = kinds[i]!;
      if (kind === FAST) {
        const b = this.fastBin(i, this.numberAt(i, x, view));
        z += b < 0 ? this.fastMissing[i]! : terms[i * FAST_STRIDE + b]!;
        continue;
      }
      if (kind !== GENERIC) continue;
      const c = this.caches[i] ?? this.cache(i);
      const b = AdaptiveBinnedBayes.binOf(list[i]!, x[names[i]!]);
      if (b === -2) continue;
      z += ((b === -1 ? c.missA : c.a[b]!) - c.offset) * c.factor * this.weights[i]!;
    }
    return this.pairs ? z + this.pairs.logOdds(x, view) : z;
  }

  /** Laid-out predictor i's value in x as a number: from the row's shared view when it has one. */
  private numberAt(i: number, x: Features, view: Float64Array | undefined): number {
    return view !== undefined ? view[this.fastSlot[i]!]! : numberOf(x[this.names[i]!]);
  }

  /**
   * The bin of number v in laid-out predictor i (-1: missing). Integers in the table's range take one lookup;
   * other numbers a branch-free binary search over the 15 padded cuts (the first cut >= v).
   */
  private fastBin(i: number, v: number): number {
    // v − v is 0 exactly for finite numbers (NaN and ±Infinity are missing).
    if (v - v !== 0) return -1;
    const j = v - this.fastLow[i]!;
    if (j >= 0 && j < this.fastWidth[i]! && (j | 0) === j) return this.fastDirect[i * DIRECT_WIDTH + j]!;
    const cuts = this.fastCuts;
    const base = i * FAST_STRIDE;
    let k = base;
    k = v > cuts[k + 7]! ? k + 8 : k;
    k = v > cuts[k + 3]! ? k + 4 : k;
    k = v > cuts[k + 1]! ? k + 2 : k;
    k = v > cuts[k]! ? k + 1 : k;
    return k - base;
  }

  /**
   * Every predictor's bin at x as binOf gives it, by the flat view when it is current (the model then looks
   * each value up once, for the weights and for the counts). The array is reused.
   */
  private binsAt(x: Features): Int32Array {
    if (this.binScratch.length < this.list.length) this.binScratch = new Int32Array(this.list.length * 2);
    const out = this.binScratch;
    const view = numericView(x);
    for (let i = 0; i < this.list.length; i++) {
      const kind = this.fastKind[i]!;
      out[i] =
        kind === FAST || kind === FAST_OFF
          ? this.fastBin(i, this.numberAt(i, x, view))
          : AdaptiveBinnedBayes.binOf(this.list[i]!, x[this.names[i]!]);
    }
    return out;
  }

  /**
   * Each predictor's log-likelihood ratio at x (0 when inactive or unseen), before the weights; `bins`: x's bins
   * when known (binsAt).
   */
  private terms(x: Features, bins?: Int32Array): Float64Array {
    if (this.scratch.length < this.list.length) this.scratch = new Float64Array(this.list.length * 2);
    const out = this.scratch;
    out.fill(0, 0, this.list.length);
    for (let i = 0; i < this.list.length; i++) {
      const c = this.caches[i] ?? this.cache(i);
      if (!c.active) continue;
      const b = bins !== undefined ? bins[i]! : AdaptiveBinnedBayes.binOf(this.list[i]!, x[this.names[i]!]);
      if (b === -2) continue;
      out[i] = ((b === -1 ? c.missA : c.a[b]!) - c.offset) * c.factor;
    }
    return out;
  }

  /** Each predictor's weighted log-likelihood ratio at x: exactly the terms logOdds adds up. */
  explain(x: Features): FeatureContribution[] {
    const t = this.terms(x);
    return rankContributions([
      ...this.names.map((name, i) => ({ name, value: x[name], contribution: t[i]! * this.weights[i]! })),
      ...(this.pairs?.contributions(x) ?? []),
    ]);
  }

  /** One diagonal Newton step of the predictor weights on this response's log loss. */
  private weightStep(x: Features, reward: number, weight: number, bins: Int32Array | undefined) {
    const t = this.terms(x, bins);
    const n = this.list.length;
    let z = this.baseLogOdds;
    for (let i = 0; i < n; i++) z += t[i]! * this.weights[i]!;
    const pairs = this.pairs && this.pairs.size > 0 ? this.pairs : undefined;
    if (pairs) {
      if (this.pairScratch.length < pairs.size) this.pairScratch = new Float64Array(pairs.size * 2);
      pairs.terms(x, this.pairScratch);
      z += pairs.weighted(this.pairScratch);
    }
    const p = sigmoid(z);
    const g = (reward - p) * weight;
    const h = Math.max(p * (1 - p), 0.01) * weight;
    pairs?.weightStep(this.pairScratch, g, h, this.o.weightPrior);
    for (let i = 0; i < n; i++) {
      const ti = t[i]!;
      if (ti === 0) continue;
      this.weightH[i]! += h * ti * ti;
      const w = this.weights[i]! + (g * ti) / (this.o.weightPrior + this.weightH[i]!);
      this.weights[i] = Math.max(0, Math.min(2, w));
    }
  }

  logitSd(x: Features): number {
    let v = 1 / (this.o.priorPositives + this.positives) + 1 / (this.o.priorNegatives + this.negatives);
    if (this.o.sdScale === 0) return Math.sqrt(v);
    for (let i = 0; i < this.list.length; i++) {
      const c = this.cache(i);
      if (!c.active) continue;
      const b = AdaptiveBinnedBayes.binOf(this.list[i]!, x[this.names[i]!]);
      if (b === -2) continue;
      const w = c.factor * this.weights[i]!;
      v += (b === -1 ? c.missingVariance : c.variance[b]!) * w * w;
    }
    return Math.sqrt(v) * this.o.sdScale * (this.o.calibrate ? this.calB : 1);
  }

  predict(x: Features): number {
    const z = this.logOdds(x);
    return this.o.calibrate ? sigmoid(this.calA + this.calB * z) : sigmoid(z);
  }

  // ---- learning ---------------------------------------------------------------------------------------

  learn(x: Features, reward: number, weight = 1): void {
    checkResponse(reward, weight);
    if (weight === 0) return;
    // Right after a prediction (the usual order) the flat view is current: x's bins come from it, once.
    const bins = this.fastCurrent ? this.binsAt(x) : undefined;
    const known = bins ? this.list.length : 0;
    this.fastCurrent = false;
    if (this.o.calibrate) this.calibrationStep(this.logOdds(x), reward, weight);
    if (this.o.weighted) this.weightStep(x, reward, weight, bins);
    const wp = reward * weight;
    const wn = (1 - reward) * weight;
    let present = 0;
    for (const name in x) {
      const v = x[name];
      let i = this.index.get(name);
      if (i === undefined) {
        if (isMissing(v)) continue;
        i = this.addPredictor(name, this.newPredictor(v!));
      }
      present++;
      const p = this.list[i]!;
      const before = p.pos.length;
      const rebins = p.type === 'numeric' && p.seen + 1 >= p.nextRebin;
      const b = this.addToPredictor(p, v, wp, wn, i < known ? bins![i]! : -2);
      this.counted(i, b, rebins || p.pos.length !== before);
    }
    // Predictors absent from x count the response as missing.
    if (this.list.length > present) {
      for (let i = 0; i < this.list.length; i++) {
        if (this.names[i]! in x) continue;
        const p = this.list[i]!;
        p.missPos += wp;
        p.missNeg += wn;
        p.tp += wp;
        p.tn += wn;
        this.counted(i, -1, false);
      }
    }
    this.positives += wp;
    this.negatives += wn;
    if (this.o.pairs > 0) this.learnPairs(x, wp, wn);
    if (this.o.halfLife > 0) {
      this.sinceDecay += weight;
      if (this.sinceDecay >= this.o.halfLife / 10) {
        this.decay(2 ** (-this.sinceDecay / this.o.halfLife));
        this.sinceDecay = 0;
      }
    }
    this.baseLogOdds = this.computeBaseLogOdds();
    const responses = this.positives + this.negatives;
    if (responses >= this.o.aucEvidence && responses - this.responsesAtAuc >= this.o.aucEvidence / 2) {
      this.responsesAtAuc = responses;
      this.inactive = new Set(this.predictorAucs().flatMap((a) => (a.auc < this.o.minAuc ? [a.name] : [])));
      this.caches = [];
    }
    // Also at the end: the calibration step above may have compiled the view before the weights moved.
    this.fastCurrent = false;
  }

  /** Pair statistics start after `pairsAfter` responses; the pairs are chosen again at every doubling. */
  private learnPairs(x: Features, wp: number, wn: number) {
    const responses = this.positives + this.negatives;
    if (!this.pairs) {
      if (responses < this.o.pairsAfter) return;
      // Pair tables grow with the square of the candidates: only the strongest predictors take part.
      const candidates = this.predictorAucs()
        .map((a, i) => ({ i, strength: Math.abs(a.auc - 0.5) }))
        .sort((a, b) => b.strength - a.strength)
        .slice(0, this.o.pairCandidates)
        .map((c) => c.i)
        .sort((a, b) => a - b);
      const coders: Coder[] = candidates.map((i) => {
        const p = this.list[i]!;
        return p.type === 'numeric'
          ? { kind: 'numeric', cuts: [...p.cuts] }
          : { kind: 'categorical', levels: new Map(p.levels) };
      });
      this.pairs = new PairCorrections(
        candidates.map((i) => this.names[i]!),
        coders,
      );
      this.nextPairSelect = responses * 2;
    }
    this.pairs.observe(x, wp, wn);
    if (responses >= this.nextPairSelect) {
      this.nextPairSelect = responses * 2;
      this.pairs.select(this.o.pairs);
    }
  }

  unlearn(x: Features, reward: number, weight = 1): void {
    checkResponse(reward, weight);
    const wp = reward * weight;
    const wn = (1 - reward) * weight;
    this.fastCurrent = false;
    this.pairs?.unobserve(x, wp, wn);
    const less = (n: number, w: number) => Math.max(0, n - w);
    for (let i = 0; i < this.list.length; i++) {
      const p = this.list[i]!;
      const b = AdaptiveBinnedBayes.binOf(p, x[this.names[i]!]);
      if (b === -2) continue;
      p.tp = less(p.tp, wp);
      p.tn = less(p.tn, wn);
      if (b === -1) {
        p.missPos = less(p.missPos, wp);
        p.missNeg = less(p.missNeg, wn);
      } else {
        p.pos[b] = less(p.pos[b]!, wp);
        p.neg[b] = less(p.neg[b]!, wn);
      }
      this.caches[i] = undefined;
    }
    this.positives = less(this.positives, wp);
    this.negatives = less(this.negatives, wn);
    this.baseLogOdds = this.computeBaseLogOdds();
  }

  forget(factor: number): void {
    checkForgetFactor(factor);
    if (factor === 1) return;
    this.decay(factor);
    this.baseLogOdds = this.computeBaseLogOdds();
  }

  /** Multiplies all evidence by f (< 1): older responses count less. */
  private decay(f: number) {
    this.fastCurrent = false;
    for (const p of this.list) {
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
    for (let i = 0; i < this.weightH.length; i++) this.weightH[i] = this.weightH[i]! * f;
    this.pairs?.decay(f);
    this.positives *= f;
    this.negatives *= f;
    this.caches = [];
  }

  private addPredictor(name: string, p: Predictor, weight = 1, weightH = 0): number {
    this.fastCurrent = false;
    this.weights.push(weight);
    this.weightH.push(weightH);
    this.names.push(name);
    this.slots.push(slotOf(name));
    this.list.push(p);
    this.index.set(name, this.list.length - 1);
    // The bin prior depends on the number of predictors.
    if (this.o.scalePrior) this.caches = [];
    return this.list.length - 1;
  }

  private newPredictor(v: NonNullable<FeatureValue>): Predictor {
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

  /** Counts one response in its bin and returns the bin (-1: missing); `known`: v's bin if known (>= 0). */
  private addToPredictor(p: Predictor, v: FeatureValue, wp: number, wn: number, known = -2): number {
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
      if (p.sample.length < this.o.reservoirSize) p.sample.push(value);
      else {
        const j = Math.floor(nextRandom(this.rng) * p.seen);
        if (j < this.o.reservoirSize) p.sample[j] = value;
      }
      let b = known;
      if (p.seen >= p.nextRebin) {
        this.rebin(p);
        p.nextRebin = p.seen < this.o.reservoirSize * 8 ? p.seen * 2 : p.seen + this.o.reservoirSize * 8;
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
      const overflow = p.levels.size >= this.o.maxLevels;
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

  private rebin(p: NumericPredictor) {
    const wanted = Math.round(Math.sqrt(p.seen) * 1.5);
    const cuts = cutsFrom(p.sample, this.o.maxBins, wanted);
    if (cuts.length === p.cuts.length && cuts.every((c, i) => c === p.cuts[i])) return;
    const moved = rebinCounts(p.cuts, p.pos, p.neg, cuts, p.sample);
    p.pos = moved.pos;
    p.neg = moved.neg;
    p.cuts = cuts;
  }

  /**
   * One online Newton step on the log loss of p = sigmoid(a + b·z): a 2×2 logistic regression whose
   * curvature accumulates (with a prior that starts it at the identity), so overconfident naive-Bayes
   * log-odds are shrunk as soon as the evidence says so.
   */
  private calibrationStep(z: number, reward: number, weight: number) {
    const zc = Math.max(-30, Math.min(30, z));
    const p = sigmoid(this.calA + this.calB * zc);
    const g = (p - reward) * weight;
    const w = Math.max(p * (1 - p), 0.01) * weight;
    this.calH[0] += w;
    this.calH[1] += w * zc;
    this.calH[2] += w * zc * zc;
    const [h00, h01, h11] = this.calH;
    const det = h00 * h11 - h01 * h01;
    if (det <= 0) return;
    const ga = g;
    const gb = g * zc;
    this.calA -= (h11 * ga - h01 * gb) / det;
    this.calB -= (-h01 * ga + h00 * gb) / det;
    if (this.calB < 0.02) this.calB = 0.02;
    this.calN += weight;
  }

  // ---- reports, persistence, merge --------------------------------------------------------------------

  /** Each predictor's AUC from its own bins (bins ordered by their smoothed positive rate). */
  predictorAucs(): Array<{ name: string; auc: number; bins: number; active: boolean }> {
    const out: Array<{ name: string; auc: number; bins: number; active: boolean }> = [];
    for (let i = 0; i < this.list.length; i++) {
      const name = this.names[i]!;
      const p = this.list[i]!;
      const bins: Array<[number, number]> = p.pos.map((pos, i) => [pos, p.neg[i]!]);
      bins.push([p.missPos, p.missNeg]);
      out.push({ name, auc: binAuc(bins), bins: bins.length, active: !this.inactive.has(name) });
    }
    return out;
  }

  get responses(): number {
    return this.positives + this.negatives;
  }

  importance(): PredictorImportance[] {
    return this.predictorAucs()
      .map((p) => ({ name: p.name, importance: Math.abs(2 * p.auc - 1), active: p.active }))
      .sort((a, b) => b.importance - a.importance);
  }

  report(): LearnerReport {
    const responses = this.positives + this.negatives;
    return {
      kind: this.kind,
      responses,
      positives: this.positives,
      successRate:
        (this.o.priorPositives + this.positives) /
        (this.o.priorPositives + this.o.priorNegatives + responses),
    };
  }

  merge(other: Learner): void {
    if (!(other instanceof AdaptiveBinnedBayes))
      throw new TypeError(`cannot merge ${other.kind} into ${this.kind}`);
    this.fastCurrent = false;
    for (let j = 0; j < other.list.length; j++) {
      const name = other.names[j]!;
      const q = other.list[j]!;
      const i = this.index.get(name);
      if (i === undefined) {
        this.addPredictor(name, clonePredictor(q), other.weights[j], other.weightH[j]);
        continue;
      }
      const p = this.list[i]!;
      // Predictor weights: curvature-weighted mean (each around the same prior), curvatures add.
      const ha = this.o.weightPrior + this.weightH[i]!;
      const hb = this.o.weightPrior + other.weightH[j]!;
      this.weights[i] = (ha * this.weights[i]! + hb * other.weights[j]!) / (ha + hb);
      this.weightH[i]! += other.weightH[j]!;
      if (p.type !== q.type) continue;
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
        // Keep a reservoir that represents both streams in proportion to what each saw.
        const total = p.seen + q.seen;
        const takeOther = Math.round((this.o.reservoirSize * q.seen) / Math.max(1, total));
        p.sample = [...p.sample.slice(0, this.o.reservoirSize - takeOther), ...q.sample.slice(0, takeOther)];
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
    const n1 = this.calN;
    const n2 = other.calN;
    if (n1 + n2 > 0) {
      this.calA = (this.calA * n1 + other.calA * n2) / (n1 + n2);
      this.calB = (this.calB * n1 + other.calB * n2) / (n1 + n2);
    }
    this.calN = n1 + n2;
    this.calH = [
      this.calH[0] + other.calH[0] - CAL_PRIOR,
      this.calH[1] + other.calH[1],
      this.calH[2] + other.calH[2] - CAL_PRIOR * 4,
    ];
    if (other.pairs) {
      if (!this.pairs) {
        this.pairs = PairCorrections.fromJSON(other.pairs.toJSON());
        this.nextPairSelect = other.nextPairSelect;
      } else this.pairs.merge(other.pairs);
    }
    this.positives += other.positives;
    this.negatives += other.negatives;
    this.baseLogOdds = this.computeBaseLogOdds();
    this.caches = [];
  }

  toJSON(): LearnerState {
    const predictors: Record<string, unknown> = {};
    for (let i = 0; i < this.list.length; i++) {
      const name = this.names[i]!;
      // Copies, not the live arrays: the state must not move when this model learns on.
      const p = clonePredictor(this.list[i]!);
      const w = { weight: this.weights[i], weightH: this.weightH[i] };
      predictors[name] =
        p.type === 'numeric' ? { ...p, ...w } : { ...p, ...w, levels: [...p.levels.entries()] };
    }
    return {
      kind: this.kind,
      options: this.o,
      positives: this.positives,
      negatives: this.negatives,
      calibration: [this.calA, this.calB, this.calN, ...this.calH],
      rng: this.rng.s,
      responsesAtAuc: this.responsesAtAuc,
      inactive: [...this.inactive],
      sinceDecay: this.sinceDecay,
      predictors,
      ...(this.pairs ? { pairs: this.pairs.toJSON(), nextPairSelect: this.nextPairSelect } : {}),
    };
  }

  static fromJSON(state: LearnerState): AdaptiveBinnedBayes {
    const s = state as unknown as {
      options: AdaptiveBinnedBayesOptions;
      positives: number;
      negatives: number;
      calibration: [number, number, number, number, number, number];
      rng: number;
      responsesAtAuc: number;
      inactive: string[];
      sinceDecay?: number;
      predictors: Record<string, Record<string, unknown>>;
      pairs?: ReturnType<PairCorrections['toJSON']>;
      nextPairSelect?: number;
    };
    const m = new AdaptiveBinnedBayes(s.options);
    m.positives = s.positives;
    m.negatives = s.negatives;
    m.baseLogOdds = m.computeBaseLogOdds();
    const [a, b, n, h00, h01, h11] = s.calibration;
    [m.calA, m.calB, m.calN] = [a, b, n];
    m.calH = [h00, h01, h11];
    m.rng.s = s.rng;
    m.responsesAtAuc = s.responsesAtAuc;
    m.inactive = new Set(s.inactive);
    m.sinceDecay = s.sinceDecay ?? 0;
    if (s.pairs) {
      m.pairs = PairCorrections.fromJSON(s.pairs);
      m.nextPairSelect = s.nextPairSelect ?? 0;
    }
    for (const [name, stored] of Object.entries(s.predictors)) {
      const { weight, weightH, ...p } = stored as { weight?: number; weightH?: number; type: string };
      // Copies, not the state's arrays: the state must not move when the restored model learns.
      const restored =
        p.type === 'numeric'
          ? (p as unknown as NumericPredictor)
          : {
              ...(p as unknown as Omit<CategoricalPredictor, 'levels'>),
              levels: new Map((p as unknown as { levels: Array<[string, number]> }).levels),
            };
      m.addPredictor(name, withTotals(clonePredictor(restored)), weight ?? 1, weightH ?? 0);
    }
    return m;
  }
}

/** States stored before predictors kept their totals: the totals from the bins, the reference at the total. */
function withTotals<P extends Predictor>(p: P): P {
  if (typeof p.tp === 'number' && typeof p.tn === 'number' && typeof p.ref === 'number') return p;
  p.tp = p.missPos + p.pos.reduce((a, b) => a + b, 0);
  p.tn = p.missNeg + p.neg.reduce((a, b) => a + b, 0);
  p.ref = p.tp + p.tn;
  return p;
}

function clonePredictor(p: Predictor): Predictor {
  return p.type === 'numeric'
    ? { ...p, cuts: [...p.cuts], pos: [...p.pos], neg: [...p.neg], sample: [...p.sample] }
    : { ...p, levels: new Map(p.levels), pos: [...p.pos], neg: [...p.neg] };
}

/** AUC of a binned score: bins ranked by their smoothed positive rate, ties count half. */
export function binAuc(bins: ReadonlyArray<readonly [number, number]>): number {
  let tp = 0;
  let tn = 0;
  for (const [p, n] of bins) {
    tp += p;
    tn += n;
  }
  if (tp === 0 || tn === 0) return 0.5;
  const rate = tp / (tp + tn);
  const ranked = [...bins].sort(
    (a, b) => (b[0] + rate) / (b[0] + b[1] + 1) - (a[0] + rate) / (a[0] + a[1] + 1),
  );
  let negBelow = tn;
  let area = 0;
  for (const [p, n] of ranked) {
    negBelow -= n;
    area += p * negBelow + 0.5 * p * n;
  }
  return area / (tp * tn);
}
