// Adaptive Bayesian binned model, in the style of the adaptive decision managers of commercial NBA suites:
// every predictor is binned online (numeric: adaptive quantile bins; categorical: one bin per level; missing:
// a bin of its own), each bin counts positive and negative responses, and the bins' smoothed log-likelihood
// ratios add up to naive-Bayes log-odds. Each predictor's ratio is weighted by a learned weight (weighted naive
// Bayes, weights.ts), so that correlated predictors are not counted twice; pairwise corrections (pairs.ts) add
// the interactions of the clearest dependent pairs; an optional Platt step (calibration.ts) calibrates the sum.
// Predictors whose own AUC stays near 0.5 are switched off (selection.ts). Hand-written because it is the
// product itself: no library learns this way online with mergeable sufficient statistics.
//
// This file joins the parts: predictors.ts (bins and counts), binTerms.ts (each bin's term), scoringView.ts (the
// hot path), rowView.ts (a frozen row read once for all models of its owner), state.ts (the versioned state).

import {
  checkForgetFactor,
  checkResponse,
  type FeatureContribution,
  type Features,
  type Learner,
  type LearnerReport,
  type LearnerState,
  type PredictorImportance,
  rankContributions,
} from '../learner.ts';
import { type Cache, counted, newCache } from './binTerms.ts';
import { PlattCalibration, sigmoid } from './calibration.ts';
import { type AdaptiveBinnedBayesOptions, DEFAULTS, type Options } from './options.ts';
import { type Coder, PairCorrections } from './pairs.ts';
import {
  addMissing,
  addToPredictor,
  binOf,
  clonePredictor,
  decayPredictor,
  isMissing,
  mergePredictor,
  newPredictor,
  type Predictor,
  rebinsNext,
  removeFromPredictor,
} from './predictors.ts';
import { RowViews } from './rowView.ts';
import { ScoringView, type ViewSource } from './scoringView.ts';
import { type PredictorAuc, pairCandidates, predictorAucs, weakPredictors } from './selection.ts';
import { predictorJSON, readState, STATE_FORMAT } from './state.ts';
import { mergeWeight, weightStep } from './weights.ts';

export type { AdaptiveBinnedBayesOptions } from './options.ts';
export { binAuc } from './selection.ts';

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
  private calibration = new PlattCalibration();
  /** Per predictor (weighted option): its weight and the curvature accumulated beyond the prior. */
  private readonly weights: number[] = [];
  private readonly weightH: number[] = [];
  private scratch = new Float64Array(0);
  private binScratch = new Int32Array(0);
  private readonly rng: { s: number };
  private responsesAtAuc = 0;
  /** Predictors switched off because their own AUC is too low. */
  private inactive = new Set<string>();
  private pairs: PairCorrections | undefined;
  private nextPairSelect = 0;
  private pairScratch = new Float64Array(0);
  /** Each predictor's slot in the owner's row view. */
  private readonly slots: number[] = [];
  private readonly view: ScoringView;

  /** `views`: the row views of the model set this model belongs to (a private one when left out). */
  constructor(
    options: AdaptiveBinnedBayesOptions = {},
    private readonly views: RowViews = new RowViews(),
  ) {
    this.o = { ...DEFAULTS, ...options };
    this.rng = { s: this.o.seed | 0 };
    this.baseLogOdds = this.computeBaseLogOdds();
    const source: ViewSource = {
      list: this.list,
      names: this.names,
      weights: this.weights,
      slots: this.slots,
      cache: (i) => this.caches[i] ?? this.cache(i),
      scale: () => this.evidenceScale(),
    };
    this.view = new ScoringView(source);
  }

  private computeBaseLogOdds(): number {
    return Math.log((this.o.priorPositives + this.positives) / (this.o.priorNegatives + this.negatives));
  }

  /**
   * How far a thin model trusts its predictors: their terms count n / (n + trustAfter), n the responses of the
   * rarer kind (positive or negative). Naive Bayes with a handful of responses of one kind is badly
   * overconfident: the kind it has few responses of keeps its flat prior over the bins while the other's counts are
   * sharp, so a bin that held few responses reads as a sign of the rare kind, on every predictor at once (with no
   * positive yet, an empty bin adds log((negatives + m) / m)); an action that has only failed can then outrank the
   * one that succeeds half the time. Without responses of both kinds the model predicts its base rate.
   */
  private evidenceScale(): number {
    const a = this.o.trustAfter;
    if (a === 0) return 1;
    const n = Math.min(this.positives, this.negatives);
    return n / (n + a);
  }

  get options(): Readonly<Options> {
    return this.o;
  }

  // ---- prediction -------------------------------------------------------------------------------------

  private cache(i: number): Cache {
    const cached = this.caches[i];
    if (cached) return cached;
    const c = newCache(this.list[i]!, this.list.length, !this.inactive.has(this.names[i]!), this.o);
    this.caches[i] = c;
    return c;
  }

  /** Naive-Bayes log-odds before calibration. The hot path: one lookup per predictor. */
  logOdds(x: Features): number {
    // Numeric predictors read a frozen row's view (see rowView.ts), others look the value up by name.
    const row = this.views.view(x);
    const z = this.view.sum(x, row, this.baseLogOdds);
    return this.pairs ? z + this.pairs.logOdds(x, row) : z;
  }

  /**
   * Every predictor's bin at x, by the flat view (current: the model then looks each value up once, for the
   * weights and for the counts). The array is reused.
   */
  private binsAt(x: Features): Int32Array {
    if (this.binScratch.length < this.list.length) this.binScratch = new Int32Array(this.list.length * 2);
    return this.view.binsAt(x, this.views.view(x), this.binScratch);
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
      const b = bins !== undefined ? bins[i]! : binOf(this.list[i]!, x[this.names[i]!]);
      if (b === -2) continue;
      out[i] = ((b === -1 ? c.missA : c.a[b]!) - c.offset) * c.factor;
    }
    return out;
  }

  /** Each predictor's weighted log-likelihood ratio at x: exactly the terms logOdds adds up. */
  explain(x: Features): FeatureContribution[] {
    const t = this.terms(x);
    const scale = this.evidenceScale();
    return rankContributions([
      ...this.names.map((name, i) => ({
        name,
        value: x[name],
        contribution: t[i]! * (this.weights[i]! * scale),
      })),
      ...(this.pairs?.contributions(x) ?? []),
    ]);
  }

  /** One diagonal Newton step of the predictor and pair weights on this response's log loss. */
  private learnWeights(x: Features, reward: number, weight: number, bins: Int32Array | undefined) {
    const t = this.terms(x, bins);
    const n = this.list.length;
    const scale = this.evidenceScale();
    if (scale !== 1) for (let i = 0; i < n; i++) t[i] = t[i]! * scale;
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
    weightStep(t, n, this.weights, this.weightH, g, h, this.o.weightPrior);
  }

  logitSd(x: Features): number {
    let v = 1 / (this.o.priorPositives + this.positives) + 1 / (this.o.priorNegatives + this.negatives);
    if (this.o.sdScale === 0) return Math.sqrt(v);
    const scale = this.evidenceScale();
    for (let i = 0; i < this.list.length; i++) {
      const c = this.cache(i);
      if (!c.active) continue;
      const b = binOf(this.list[i]!, x[this.names[i]!]);
      if (b === -2) continue;
      const w = c.factor * this.weights[i]! * scale;
      v += (b === -1 ? c.missingVariance : c.variance[b]!) * w * w;
    }
    return Math.sqrt(v) * this.o.sdScale * (this.o.calibrate ? this.calibration.b : 1);
  }

  predict(x: Features): number {
    const z = this.logOdds(x);
    return this.o.calibrate ? this.calibration.apply(z) : sigmoid(z);
  }

  // ---- learning ---------------------------------------------------------------------------------------

  learn(x: Features, reward: number, weight = 1): void {
    checkResponse(reward, weight);
    if (weight === 0) return;
    // Right after a prediction (the usual order) the flat view is current: x's bins come from it, once.
    const bins = this.view.current ? this.binsAt(x) : undefined;
    const known = bins ? this.list.length : 0;
    this.view.current = false;
    if (this.o.calibrate) this.calibration.step(this.logOdds(x), reward, weight);
    if (this.o.weighted) this.learnWeights(x, reward, weight, bins);
    const wp = reward * weight;
    const wn = (1 - reward) * weight;
    let present = 0;
    for (const name in x) {
      const v = x[name];
      let i = this.index.get(name);
      if (i === undefined) {
        if (isMissing(v)) continue;
        i = this.addPredictor(name, newPredictor(v!));
      }
      present++;
      const p = this.list[i]!;
      const before = p.pos.length;
      const rebins = rebinsNext(p);
      const b = addToPredictor(p, v, wp, wn, i < known ? bins![i]! : -2, this.o, this.rng);
      this.caches[i] = counted(p, this.caches[i], b, rebins || p.pos.length !== before, this.o);
    }
    // Predictors absent from x count the response as missing.
    if (this.list.length > present) {
      for (let i = 0; i < this.list.length; i++) {
        if (this.names[i]! in x) continue;
        const p = this.list[i]!;
        addMissing(p, wp, wn);
        this.caches[i] = counted(p, this.caches[i], -1, false, this.o);
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
      this.inactive = weakPredictors(this.predictorAucs(), this.o.minAuc);
      this.caches = [];
    }
    // Also at the end: the calibration step above may have compiled the view before the weights moved.
    this.view.current = false;
  }

  /** Pair statistics start after `pairsAfter` responses; the pairs are chosen again at every doubling. */
  private learnPairs(x: Features, wp: number, wn: number) {
    const responses = this.positives + this.negatives;
    if (!this.pairs) {
      if (responses < this.o.pairsAfter) return;
      const candidates = pairCandidates(this.predictorAucs(), this.o.pairCandidates);
      const coders: Coder[] = candidates.map((i) => {
        const p = this.list[i]!;
        return p.type === 'numeric'
          ? { kind: 'numeric', cuts: [...p.cuts] }
          : { kind: 'categorical', levels: new Map(p.levels) };
      });
      this.pairs = new PairCorrections(
        candidates.map((i) => this.names[i]!),
        coders,
        this.views,
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
    this.view.current = false;
    this.pairs?.unobserve(x, wp, wn);
    for (let i = 0; i < this.list.length; i++) {
      const p = this.list[i]!;
      const b = binOf(p, x[this.names[i]!]);
      if (b === -2) continue;
      removeFromPredictor(p, b, wp, wn);
      this.caches[i] = undefined;
    }
    this.positives = Math.max(0, this.positives - wp);
    this.negatives = Math.max(0, this.negatives - wn);
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
    this.view.current = false;
    for (const p of this.list) decayPredictor(p, f);
    for (let i = 0; i < this.weightH.length; i++) this.weightH[i] = this.weightH[i]! * f;
    this.pairs?.decay(f);
    this.positives *= f;
    this.negatives *= f;
    this.caches = [];
  }

  private addPredictor(name: string, p: Predictor, weight = 1, weightH = 0): number {
    this.view.current = false;
    this.weights.push(weight);
    this.weightH.push(weightH);
    this.names.push(name);
    this.slots.push(this.views.slotOf(name));
    this.list.push(p);
    this.index.set(name, this.list.length - 1);
    // The bin prior depends on the number of predictors.
    if (this.o.scalePrior) this.caches = [];
    return this.list.length - 1;
  }

  // ---- reports, persistence, merge --------------------------------------------------------------------

  /** Each predictor's AUC from its own bins (bins ordered by their smoothed positive rate). */
  predictorAucs(): PredictorAuc[] {
    return predictorAucs(this.list, this.names, this.inactive);
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
    this.view.current = false;
    for (let j = 0; j < other.list.length; j++) {
      const name = other.names[j]!;
      const q = other.list[j]!;
      const i = this.index.get(name);
      if (i === undefined) {
        this.addPredictor(name, clonePredictor(q), other.weights[j], other.weightH[j]);
        continue;
      }
      const p = this.list[i]!;
      const w = mergeWeight(
        this.weights[i]!,
        this.weightH[i]!,
        other.weights[j]!,
        other.weightH[j]!,
        this.o.weightPrior,
      );
      this.weights[i] = w.weight;
      this.weightH[i] = w.curvature;
      if (p.type === q.type) mergePredictor(p, q, this.o.reservoirSize);
    }
    this.calibration.merge(other.calibration);
    if (other.pairs) {
      if (!this.pairs) {
        this.pairs = PairCorrections.fromJSON(other.pairs.toJSON(), this.views);
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
    for (let i = 0; i < this.list.length; i++)
      predictors[this.names[i]!] = predictorJSON(this.list[i]!, this.weights[i]!, this.weightH[i]!);
    return {
      kind: this.kind,
      format: STATE_FORMAT,
      options: this.o,
      positives: this.positives,
      negatives: this.negatives,
      calibration: this.calibration.toJSON(),
      rng: this.rng.s,
      responsesAtAuc: this.responsesAtAuc,
      inactive: [...this.inactive],
      sinceDecay: this.sinceDecay,
      predictors,
      ...(this.pairs ? { pairs: this.pairs.toJSON(), nextPairSelect: this.nextPairSelect } : {}),
    };
  }

  /** Restores a stored state (see state.ts: older formats read, newer or broken ones throw). */
  static fromJSON(state: LearnerState, views?: RowViews): AdaptiveBinnedBayes {
    const s = readState(state);
    const m = new AdaptiveBinnedBayes(s.options as AdaptiveBinnedBayesOptions, views);
    m.positives = s.positives;
    m.negatives = s.negatives;
    m.baseLogOdds = m.computeBaseLogOdds();
    m.calibration = PlattCalibration.fromJSON(s.calibration);
    m.rng.s = s.rng;
    m.responsesAtAuc = s.responsesAtAuc;
    m.inactive = new Set(s.inactive);
    m.sinceDecay = s.sinceDecay ?? 0;
    if (s.pairs) {
      m.pairs = PairCorrections.fromJSON(s.pairs, m.views);
      m.nextPairSelect = s.nextPairSelect ?? 0;
    }
    for (const { name, predictor, weight, weightH } of s.predictors)
      m.addPredictor(name, predictor, weight, weightH);
    return m;
  }
}
