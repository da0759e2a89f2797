// The flat view the hot path reads: per predictor a kind and its bins' terms already multiplied by shrinkage and
// weight, numeric cuts laid out for a branch-free search and, for integer-valued predictors, a direct bin table.
// Every model of a decision is asked for the same row, so the view pays for itself many times over between two
// learns, after which the model marks it stale and it is rebuilt lazily. Hand-written because scoring is the
// product's inner loop: one lookup per predictor instead of a hash lookup and a search.
import type { Features } from '../learner.ts';
import type { Cache } from './binTerms.ts';
import { integerBinTable, MAX_TABLE_WIDTH } from './integerBins.ts';
import { binIndex, binOf, numberOf, type Predictor } from './predictors.ts';

/** Cells per predictor in the flat view: 15 cuts (+1 padding) and 16 bins. */
const FAST_STRIDE = 16;
/** Kinds of predictor in the flat view: laid out for fast lookups or looked up by name; switched on or off. */
const GENERIC_OFF = 0;
const FAST = 1;
const GENERIC = 2;
const FAST_OFF = 3;
/** Most integers a predictor's direct bin table covers (its slot in the flat view). */
const DIRECT_WIDTH = MAX_TABLE_WIDTH;

/** What the view is built from: the model's predictors, their weights, row-view slots and terms. */
export interface ViewSource {
  readonly list: readonly Predictor[];
  readonly names: readonly string[];
  readonly weights: readonly number[];
  /** Each predictor's slot in the owner's row view (-1: none). */
  readonly slots: readonly number[];
  /** Predictor i's terms, built when missing. */
  cache(i: number): Cache;
  /** The multiplier of every predictor's term (see the model's evidenceScale). */
  scale(): number;
}

export class ScoringView {
  private kind = new Uint8Array(0);
  private cuts = new Float64Array(0);
  private terms = new Float64Array(0);
  private missing = new Float64Array(0);
  private slot = new Int32Array(0);
  private low = new Float64Array(0);
  private width = new Int32Array(0);
  private direct = new Uint8Array(0);
  /** The cuts each predictor's layout was made from (cuts are replaced, never changed in place). */
  private laidOut: Array<readonly number[] | undefined> = [];
  /** False after any change to counts, weights or predictors. */
  current = false;
  /** The source's scale when the view was compiled. */
  private s = 1;

  constructor(private readonly src: ViewSource) {}

  /**
   * Builds the view: per predictor a kind (numeric with at most 15 cuts, laid out for fast lookups, or any other,
   * looked up by name; each switched on or off) and its terms; the layout of each numeric predictor's cuts (see
   * layout) is redone only when its cuts change.
   */
  compile(): void {
    const { list, slots, weights } = this.src;
    const n = list.length;
    this.s = this.src.scale();
    if (this.kind.length < n) {
      const size = Math.max(n, 2 * this.kind.length, 8);
      this.kind = new Uint8Array(size);
      this.cuts = new Float64Array(size * FAST_STRIDE);
      this.terms = new Float64Array(size * FAST_STRIDE);
      this.missing = new Float64Array(size);
      this.slot = new Int32Array(size);
      this.low = new Float64Array(size);
      this.width = new Int32Array(size);
      this.direct = new Uint8Array(size * DIRECT_WIDTH);
      this.laidOut = [];
    }
    for (let i = 0; i < n; i++) {
      const c = this.src.cache(i);
      const p = list[i]!;
      const slot = slots[i]!;
      if (p.type !== 'numeric' || p.cuts.length >= FAST_STRIDE || slot < 0) {
        this.kind[i] = c.active ? GENERIC : GENERIC_OFF;
        continue;
      }
      // Switched-off predictors are laid out too: learning still needs their bins (see binsAt).
      this.kind[i] = c.active ? FAST : FAST_OFF;
      this.slot[i] = slot;
      if (this.laidOut[i] !== p.cuts) this.layout(i, p.cuts);
      if (!c.active) continue;
      const base = i * FAST_STRIDE;
      const w = weights[i]! * this.s;
      for (let b = 0; b <= p.cuts.length; b++) this.terms[base + b] = (c.a[b]! - c.offset) * c.factor * w;
      this.missing[i] = (c.missA - c.offset) * c.factor * w;
    }
    this.current = true;
  }

  /**
   * A numeric predictor's cuts padded with +Infinity to 15 for a branch-free binary search, and, when the cuts
   * span few integers, each integer's bin in a table: integer-valued predictors (counts, ages, days, codes: most
   * of them in practice) then find their bin with one lookup.
   */
  private layout(i: number, cuts: readonly number[]) {
    const base = i * FAST_STRIDE;
    for (let k = 0; k < FAST_STRIDE; k++) this.cuts[base + k] = k < cuts.length ? cuts[k]! : Infinity;
    const t = integerBinTable(cuts, (v) => binIndex(cuts, v), DIRECT_WIDTH);
    this.width[i] = t ? t.table.length : 0;
    if (t) {
      this.direct.set(t.table, i * DIRECT_WIDTH);
      this.low[i] = t.low;
    }
    this.laidOut[i] = cuts;
  }

  /**
   * `base` plus every predictor's weighted term at x (the naive-Bayes log-odds without the pairs), added in
   * predictor order. `row`: x's numeric row view when it has one.
   */
  sum(x: Features, row: Float64Array | undefined, base: number): number {
    if (!this.current) this.compile();
    const { list, names, weights } = this.src;
    const kinds = this.kind;
    const terms = this.terms;
    let z = base;
    for (let i = 0; i < list.length; i++) {
      const kind = kinds[i]!;
      if (kind === FAST) {
        const b = this.bin(i, this.numberAt(i, x, row));
        z += b < 0 ? this.missing[i]! : terms[i * FAST_STRIDE + b]!;
        continue;
      }
      if (kind !== GENERIC) continue;
      const c = this.src.cache(i);
      const b = binOf(list[i]!, x[names[i]!]);
      if (b === -2) continue;
      z += ((b === -1 ? c.missA : c.a[b]!) - c.offset) * c.factor * (weights[i]! * this.s);
    }
    return z;
  }

  /** Laid-out predictor i's value in x as a number: from the row's view when it has one. */
  private numberAt(i: number, x: Features, row: Float64Array | undefined): number {
    return row !== undefined ? row[this.slot[i]!]! : numberOf(x[this.src.names[i]!]);
  }

  /**
   * The bin of number v in laid-out predictor i (-1: missing). Integers in the table's range take one lookup;
   * other numbers a branch-free binary search over the 15 padded cuts (the first cut >= v).
   */
  private bin(i: number, v: number): number {
    // v − v is 0 exactly for finite numbers (NaN and ±Infinity are missing).
    if (v - v !== 0) return -1;
    const j = v - this.low[i]!;
    if (j >= 0 && j < this.width[i]! && (j | 0) === j) return this.direct[i * DIRECT_WIDTH + j]!;
    const cuts = this.cuts;
    const base = i * FAST_STRIDE;
    let k = base;
    k = v > cuts[k + 7]! ? k + 8 : k;
    k = v > cuts[k + 3]! ? k + 4 : k;
    k = v > cuts[k + 1]! ? k + 2 : k;
    k = v > cuts[k]! ? k + 1 : k;
    return k - base;
  }

  /**
   * Every predictor's bin at x as binOf gives it, read through the view (valid only while it is current: the
   * model then looks each value up once, for the weights and for the counts). `out` is filled and returned.
   */
  binsAt(x: Features, row: Float64Array | undefined, out: Int32Array): Int32Array {
    const { list, names } = this.src;
    for (let i = 0; i < list.length; i++) {
      const kind = this.kind[i]!;
      out[i] =
        kind === FAST || kind === FAST_OFF
          ? this.bin(i, this.numberAt(i, x, row))
          : binOf(list[i]!, x[names[i]!]);
    }
    return out;
  }
}
