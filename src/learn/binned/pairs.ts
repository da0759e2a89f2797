// Pairwise corrections for the binned naive-Bayes learner (tree-augmented naive Bayes, limited): naive Bayes
// assumes predictors independent given the outcome, which double-counts redundant predictors and misses
// interactions such as month × day of a calling campaign. For every pair of predictors this keeps joint counts
// over coarse codes (up to 16 bins or levels plus missing) per outcome; from time to time the pairs whose
// conditional mutual information I(A;B|Y) is clearly above chance are chosen (each predictor in at most one
// pair), and each chosen pair adds log P(a,b|1)P(a|0)P(b|0) / (P(a,b|0)P(a|1)P(b|1)) to the log-odds, weighted
// by a learned weight like the single predictors. Hand-written: it is part of the learner.

import type { Features, FeatureValue } from '../learner.ts';
import { integerBinTable } from './integerBins.ts';
import { RowViews } from './rowView.ts';

/** Codes per predictor: 0..15 bins or levels, 16 missing. */
const CODES = 17;
const MISSING = 16;
const SMOOTH = 0.5;

/** How a predictor's value becomes a code; frozen when the pair statistics start, so codes keep their meaning. */
export type Coder =
  | { kind: 'numeric'; cuts: number[] }
  | { kind: 'categorical'; levels: Map<string, number> };

/**
 * A numeric coder made fast: each integer between the cuts' floor and ceiling gets its code from a table
 * (integer-valued predictors are the common case), other values scan the at most 15 cuts.
 */
interface FastNumeric {
  cuts: number[];
  low: number;
  width: number;
  direct: Uint8Array;
}

function fastNumeric(cuts: number[]): FastNumeric {
  const t = integerBinTable(cuts, (v) => scanCode(cuts, v));
  return t
    ? { cuts, low: t.low, width: t.table.length, direct: t.table }
    : { cuts, low: 0, width: 0, direct: new Uint8Array(0) };
}

/** Codes 0..15 by the cuts (at most 15 by default: a linear scan is as fast as a binary search here). */
function scanCode(cuts: readonly number[], v: number): number {
  let k = 0;
  while (k < cuts.length && v > cuts[k]!) k++;
  return k < 15 ? k : 15;
}

/** The code of a number (NaN and ±Infinity: missing). */
function numericCode(f: FastNumeric, v: number): number {
  if (v - v !== 0) return MISSING;
  const j = v - f.low;
  if (j >= 0 && j < f.width && (j | 0) === j) return f.direct[j]!;
  return scanCode(f.cuts, v);
}

interface Chosen {
  i: number;
  j: number;
  weight: number;
  weightH: number;
  /** log-odds correction per (code a, code b); rebuilt every few responses. */
  terms: Float64Array;
}

function codeOf(coder: Coder, v: FeatureValue): number {
  if (coder.kind === 'numeric')
    return typeof v === 'number' && Number.isFinite(v) ? scanCode(coder.cuts, v) : MISSING;
  if (v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v)))
    return MISSING;
  return Math.min(coder.levels.get(String(v)) ?? 15, 15);
}

export class PairCorrections {
  /** Predictor names with their coders, in the learner's order at freeze time. */
  readonly names: string[];
  readonly coders: Coder[];
  /** Per pair (i < j, row-major upper triangle): counts [code a][code b][outcome]. */
  private readonly tables: Float32Array[];
  private chosen: Chosen[] = [];
  private sinceRebuild = 0;
  private seen = 0;
  private codes: Int32Array;
  /** Per predictor: its slot in the owner's row view and, for numeric ones, the fast coder (see rowView.ts). */
  private readonly slots: number[];
  private readonly fast: Array<FastNumeric | undefined>;

  /** `views`: the row views of the model's owner (a private one when left out). */
  constructor(
    names: string[],
    coders: Coder[],
    private readonly views: RowViews = new RowViews(),
    tables?: Float32Array[],
  ) {
    this.names = names;
    this.coders = coders;
    this.slots = names.map((name) => views.slotOf(name));
    this.fast = coders.map((c) => (c.kind === 'numeric' ? fastNumeric(c.cuts) : undefined));
    const n = names.length;
    this.tables =
      tables ?? Array.from({ length: (n * (n - 1)) / 2 }, () => new Float32Array(CODES * CODES * 2));
    this.codes = new Int32Array(n);
  }

  private pairIndex(i: number, j: number): number {
    const n = this.names.length;
    return i * n - (i * (i + 1)) / 2 + (j - i - 1);
  }

  /** Predictor i's code at x, read from the row's view when there is one. */
  private code(i: number, x: Features, view: Float64Array | undefined): number {
    const fast = this.fast[i];
    const slot = this.slots[i]!;
    if (fast !== undefined && view !== undefined && slot >= 0) return numericCode(fast, view[slot]!);
    return codeOf(this.coders[i]!, x[this.names[i]!]);
  }

  private encode(x: Features): Int32Array {
    const view = this.views.view(x);
    for (let i = 0; i < this.names.length; i++) this.codes[i] = this.code(i, x, view);
    return this.codes;
  }

  /** Counts one response (wp to the positive, wn to the negative side) in every pair table. */
  observe(x: Features, wp: number, wn: number): void {
    const c = this.encode(x);
    const n = this.names.length;
    let t = 0;
    for (let i = 0; i < n; i++) {
      const base = c[i]! * CODES;
      for (let j = i + 1; j < n; j++) {
        const cell = (base + c[j]!) * 2;
        const table = this.tables[t++]!;
        table[cell]! += wn;
        table[cell + 1]! += wp;
      }
    }
    // The chosen pairs' terms follow the counts in steps, not per response (a rebuild costs a few thousand logs):
    // every 64 responses at first, every 1/32 of the evidence later, when one response moves them little.
    this.seen += wp + wn;
    if (this.chosen.length > 0 && ++this.sinceRebuild >= Math.max(64, this.seen / 32)) this.rebuildTerms();
  }

  /** Takes a response back (a late positive correcting an expiry). */
  unobserve(x: Features, wp: number, wn: number): void {
    const c = this.encode(x);
    const n = this.names.length;
    let t = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const cell = (c[i]! * CODES + c[j]!) * 2;
        const table = this.tables[t++]!;
        table[cell] = Math.max(0, table[cell]! - wn);
        table[cell + 1] = Math.max(0, table[cell + 1]! - wp);
      }
    }
    this.rebuildTerms();
  }

  decay(f: number): void {
    for (const table of this.tables) for (let k = 0; k < table.length; k++) table[k] = table[k]! * f;
    for (const c of this.chosen) c.weightH *= f;
    this.rebuildTerms();
  }

  /**
   * Chooses the pairs: by conditional mutual information, kept when the likelihood-ratio statistic 2·N·CMI is
   * far above its chance level (its degrees of freedom plus four standard deviations), greedily, each predictor
   * in one pair at most, at most `max` pairs. Weights of pairs kept stay learned.
   */
  select(max: number): void {
    const n = this.names.length;
    const scored: Array<{ i: number; j: number; score: number }> = [];
    for (let i = 0; i < n; i++) {
      // Predictors switched off alone still take part: a pair can be informative when neither is (agreement).
      for (let j = i + 1; j < n; j++) {
        const { cmi, total, dof } = conditionalMutualInformation(this.tables[this.pairIndex(i, j)]!);
        const g = 2 * total * cmi;
        if (dof > 0 && g > dof + 4 * Math.sqrt(2 * dof)) scored.push({ i, j, score: cmi });
      }
    }
    scored.sort((a, b) => b.score - a.score);
    const used = new Set<number>();
    const next: Chosen[] = [];
    for (const s of scored) {
      if (next.length >= max) break;
      if (used.has(s.i) || used.has(s.j)) continue;
      used.add(s.i);
      used.add(s.j);
      const kept = this.chosen.find((c) => c.i === s.i && c.j === s.j);
      next.push(kept ?? this.newChosen(s.i, s.j, 1, 0));
    }
    this.chosen = next;
    this.rebuildTerms();
  }

  private newChosen(i: number, j: number, weight: number, weightH: number): Chosen {
    return {
      i,
      j,
      weight,
      weightH,
      terms: new Float64Array(CODES * CODES),
    };
  }

  private rebuildTerms(): void {
    this.sinceRebuild = 0;
    for (const c of this.chosen) fillTerms(this.tables[this.pairIndex(c.i, c.j)]!, c.terms);
  }

  get size(): number {
    return this.chosen.length;
  }

  /** The chosen pairs' terms at x (before their weights), in `out`. */
  terms(x: Features, out: Float64Array): void {
    const view = this.views.view(x);
    for (let k = 0; k < this.chosen.length; k++) {
      const c = this.chosen[k]!;
      out[k] = c.terms[this.code(c.i, x, view) * CODES + this.code(c.j, x, view)]!;
    }
  }

  /** Σ weight × term for terms `terms` filled in at the same x. */
  weighted(t: Float64Array): number {
    let z = 0;
    for (let k = 0; k < this.chosen.length; k++) z += this.chosen[k]!.weight * t[k]!;
    return z;
  }

  /** Σ weight × term: what the pairs add to the log-odds (view: x's shared view, if it has one). */
  logOdds(x: Features, view: Float64Array | undefined): number {
    let z = 0;
    const chosen = this.chosen;
    for (let k = 0; k < chosen.length; k++) {
      const c = chosen[k]!;
      z += c.weight * c.terms[this.code(c.i, x, view) * CODES + this.code(c.j, x, view)]!;
    }
    return z;
  }

  /** The same diagonal Newton step as the predictor weights (prior precision `prior` around 1). */
  weightStep(t: Float64Array, g: number, h: number, prior: number): void {
    for (let k = 0; k < this.chosen.length; k++) {
      const c = this.chosen[k]!;
      const tk = t[k]!;
      if (tk === 0) continue;
      c.weightH += h * tk * tk;
      c.weight = Math.max(0, Math.min(2, c.weight + (g * tk) / (prior + c.weightH)));
    }
  }

  /** Names and weighted terms at x, for explanations. */
  contributions(x: Features): Array<{ name: string; value: FeatureValue; contribution: number }> {
    const t = new Float64Array(this.chosen.length);
    this.terms(x, t);
    return this.chosen.map((c, k) => ({
      name: `${this.names[c.i]}×${this.names[c.j]}`,
      value: `${String(x[this.names[c.i]!])}×${String(x[this.names[c.j]!])}`,
      contribution: t[k]! * c.weight,
    }));
  }

  /** Adds another node's counts when both froze the same coders; otherwise the other's pairs are left out. */
  merge(other: PairCorrections): boolean {
    if (
      other.names.length !== this.names.length ||
      other.names.some((n, i) => n !== this.names[i]) ||
      JSON.stringify(other.coders.map(coderJSON)) !== JSON.stringify(this.coders.map(coderJSON))
    )
      return false;
    this.tables.forEach((table, t) => {
      const o = other.tables[t]!;
      for (let k = 0; k < table.length; k++) table[k]! += o[k]!;
    });
    for (const c of other.chosen) {
      const mine = this.chosen.find((m) => m.i === c.i && m.j === c.j);
      if (!mine) continue;
      mine.weight =
        (mine.weight * (1 + mine.weightH) + c.weight * (1 + c.weightH)) / (2 + mine.weightH + c.weightH);
      mine.weightH += c.weightH;
    }
    this.rebuildTerms();
    return true;
  }

  /** A snapshot; the terms are refreshed from the counts first, so a copy predicts exactly like the original. */
  toJSON() {
    this.rebuildTerms();
    return {
      seen: this.seen,
      names: this.names,
      coders: this.coders.map(coderJSON),
      // Sparse: [cell, count, cell, count, …]; most cells of most pairs stay empty.
      tables: this.tables.map((t) => {
        const out: number[] = [];
        for (let k = 0; k < t.length; k++) if (t[k] !== 0) out.push(k, t[k]!);
        return out;
      }),
      chosen: this.chosen.map((c) => ({ i: c.i, j: c.j, weight: c.weight, weightH: c.weightH })),
    };
  }

  /** `seen` is absent in states stored before it was kept. */
  static fromJSON(
    s: Omit<ReturnType<PairCorrections['toJSON']>, 'seen'> & { seen?: number | undefined },
    views?: RowViews,
  ): PairCorrections {
    const coders: Coder[] = s.coders.map((c) =>
      c.kind === 'numeric'
        ? { kind: 'numeric', cuts: c.cuts ?? [] }
        : { kind: 'categorical', levels: new Map(c.levels ?? []) },
    );
    const tables = s.tables.map((sparse) => {
      const t = new Float32Array(CODES * CODES * 2);
      for (let k = 0; k + 1 < sparse.length; k += 2) t[sparse[k]!] = sparse[k + 1]!;
      return t;
    });
    const p = new PairCorrections(s.names, coders, views, tables);
    p.chosen = s.chosen.map((c) => p.newChosen(c.i, c.j, c.weight, c.weightH));
    p.seen = s.seen ?? 0;
    p.rebuildTerms();
    return p;
  }
}

function coderJSON(c: Coder): { kind: Coder['kind']; cuts?: number[]; levels?: Array<[string, number]> } {
  return c.kind === 'numeric'
    ? { kind: 'numeric', cuts: c.cuts }
    : { kind: 'categorical', levels: [...c.levels] };
}

/** I(A;B|Y) in nats from a table [a][b][y], the total count and the degrees of freedom of the independence test. */
/** Counts per code of A and outcome, per code of B and outcome, and per outcome, of a table [a][b][y]. */
function marginals(table: Float32Array) {
  const na = new Float64Array(CODES * 2);
  const nb = new Float64Array(CODES * 2);
  const ny = [0, 0];
  for (let a = 0; a < CODES; a++)
    for (let b = 0; b < CODES; b++)
      for (let y = 0; y < 2; y++) {
        const n = table[(a * CODES + b) * 2 + y]!;
        na[a * 2 + y]! += n;
        nb[b * 2 + y]! += n;
        ny[y]! += n;
      }
  return { na, nb, ny, total: ny[0]! + ny[1]! };
}

function conditionalMutualInformation(table: Float32Array): { cmi: number; total: number; dof: number } {
  const { na, nb, ny, total } = marginals(table);
  if (total === 0) return { cmi: 0, total, dof: 0 };
  let cmi = 0;
  for (let a = 0; a < CODES; a++)
    for (let b = 0; b < CODES; b++)
      for (let y = 0; y < 2; y++) {
        const n = table[(a * CODES + b) * 2 + y]!;
        if (n === 0) continue;
        cmi += (n / total) * Math.log((n * ny[y]!) / (na[a * 2 + y]! * nb[b * 2 + y]!));
      }
  let ka = 0;
  let kb = 0;
  for (let k = 0; k < CODES; k++) {
    if (na[k * 2]! + na[k * 2 + 1]! > 0) ka++;
    if (nb[k * 2]! + nb[k * 2 + 1]! > 0) kb++;
  }
  return { cmi: Math.max(0, cmi), total, dof: 2 * Math.max(0, ka - 1) * Math.max(0, kb - 1) };
}

/** Smoothed log P(a,b|1)P(a|0)P(b|0) / (P(a,b|0)P(a|1)P(b|1)) for every cell. */
function fillTerms(table: Float32Array, out: Float64Array): void {
  const { na, nb, ny } = marginals(table);
  const d1 = Math.log(ny[1]! + SMOOTH * CODES * CODES);
  const d0 = Math.log(ny[0]! + SMOOTH * CODES * CODES);
  // The single predictors' log ratios, once per code: log P(a|1)/P(a|0) (the denominators cancel with the joint's).
  const single = (m: Float64Array, k: number) =>
    Math.log(m[k * 2 + 1]! + SMOOTH * CODES) - Math.log(m[k * 2]! + SMOOTH * CODES);
  const sa = new Float64Array(CODES);
  const sb = new Float64Array(CODES);
  for (let k = 0; k < CODES; k++) {
    sa[k] = single(na, k);
    sb[k] = single(nb, k);
  }
  // log P(a,b|1)/P(a,b|0) − log P(a|1)/P(a|0) − log P(b|1)/P(b|0); the class totals cancel except once.
  const classes = -d1 + d0 - (-d1 + d0) * 2;
  for (let a = 0; a < CODES; a++)
    for (let b = 0; b < CODES; b++) {
      const cell = (a * CODES + b) * 2;
      const pair = Math.log(table[cell + 1]! + SMOOTH) - Math.log(table[cell]! + SMOOTH);
      out[a * CODES + b] = pair - sa[a]! - sb[b]! + classes;
    }
}
