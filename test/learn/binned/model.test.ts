import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/random.ts';
import { AdaptiveBinnedBayes, binAuc } from '../../../src/learn/binned/model.ts';
import { learnerConformance, restoresExactly, syntheticStream } from '../conformance.ts';

describe('AdaptiveBinnedBayes', () => {
  learnerConformance(() => new AdaptiveBinnedBayes(), 0.04);

  it('recovers the acceptance rates of a known stream by segment and age', () => {
    const m = new AdaptiveBinnedBayes();
    for (const { x, y } of syntheticStream(20_000, 3)) m.learn(x, y);
    // True rates: gold & young 0.45, gold & old 0.35, basic & young 0.15, basic & old 0.05.
    const rate = (segment: string, age: number) =>
      m.predict({ 'customer.age': age, 'customer.segment': segment, channel: 'web' });
    expect(rate('gold', 25)).toBeGreaterThan(rate('gold', 60));
    expect(rate('gold', 60)).toBeGreaterThan(rate('basic', 25));
    expect(rate('basic', 25)).toBeGreaterThan(rate('basic', 60));
    expect(rate('basic', 60)).toBeLessThan(0.1);
    expect(rate('gold', 25)).toBeGreaterThan(0.3);
  });

  it('copes with extreme outliers and values outside the range it has seen', () => {
    const m = new AdaptiveBinnedBayes();
    const rnd = mulberry32(9);
    for (let i = 0; i < 5000; i++) {
      const v = rnd() < 0.01 ? 1e12 * rnd() : rnd() * 10;
      m.learn({ balance: v }, v > 5 ? (rnd() < 0.6 ? 1 : 0) : rnd() < 0.1 ? 1 : 0);
    }
    // The outliers do not squash the ordinary range into one bin.
    expect(m.predict({ balance: 8 })).toBeGreaterThan(m.predict({ balance: 2 }) + 0.2);
    for (const v of [-1e15, 1e300, Number.MAX_VALUE]) {
      const p = m.predict({ balance: v });
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
  });

  it('finds the same bins on its fast path as the reference path does, for every kind of value', () => {
    // count: integers over a few values (direct table); wide: integers over a wide range (binary search);
    // real: fractions; the second model has more bins than the fast path takes (by-name path).
    for (const options of [{}, { maxBins: 40 }]) {
      const m = new AdaptiveBinnedBayes(options);
      const rnd = mulberry32(21);
      for (let i = 0; i < 4000; i++) {
        const x = { count: Math.floor(rnd() * 30) - 5, wide: Math.floor(rnd() * 100_000), real: rnd() * 3 };
        m.learn(x, rnd() < 0.05 + 0.02 * Math.max(0, x.count) + 0.1 * x.real ? 1 : 0);
      }
      const values = [
        -1e9,
        -6,
        -5,
        -0,
        0,
        3,
        7,
        7.5,
        12,
        24,
        25,
        26,
        99_999,
        100_000,
        2.2e9,
        1e300,
        0.25,
        1.5,
        2.999,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        '7',
        null,
      ];
      // Values on the cuts themselves too (a bin holds values up to and including its cut).
      const state = m.toJSON() as unknown as { predictors: Record<string, { cuts: number[] }> };
      const gaps: number[] = [];
      for (const name of ['count', 'wide', 'real'])
        for (const v of [...values, ...state.predictors[name]!.cuts]) {
          const x = { count: 3, wide: 500, real: 1, [name]: v };
          const sum = m.explain(x).reduce((a, c) => a + c.contribution, 0);
          // logOdds minus the explained terms is the base rate, whatever x is; frozen rows take the shared view.
          gaps.push(m.logOdds(x) - sum, m.logOdds(Object.freeze({ ...x })) - sum);
        }
      const base = gaps[0]!;
      for (const g of gaps) expect(g).toBeCloseTo(base, 12);
    }
  });

  it('learns the same whether or not it predicted the row just before (bins from its flat view)', () => {
    const options = { maxLevels: 5, aucEvidence: 200 };
    const predicted = new AdaptiveBinnedBayes(options);
    const plain = new AdaptiveBinnedBayes(options);
    const rnd = mulberry32(33);
    for (let i = 0; i < 3000; i++) {
      const count = Math.floor(rnd() * 12);
      const x: Record<string, number | string | null> = {
        count,
        real: rnd() < 0.1 ? Number.NaN : rnd() * 5,
        noise: Math.floor(rnd() * 1000),
        level: `l${Math.floor(rnd() * 9)}`,
        mixed: rnd() < 0.05 ? 'oops' : Math.floor(rnd() * 4),
        ...(rnd() < 0.1 ? {} : { sometimes: rnd() < 0.5 ? 'a' : 'b' }),
      };
      const y = rnd() < 0.05 + 0.04 * count ? 1 : 0;
      const row = i % 2 === 0 ? Object.freeze(x) : x;
      predicted.predict(row);
      predicted.learn(row, y);
      plain.learn({ ...x }, y);
    }
    expect(JSON.stringify(predicted.toJSON())).toBe(JSON.stringify(plain.toJSON()));
  });

  it('loads a state stored before predictors kept their totals, and predicts about as before', () => {
    const m = new AdaptiveBinnedBayes();
    const stream = syntheticStream(1500, 4);
    for (const { x, y } of stream) m.learn(x, y);
    const state = JSON.parse(JSON.stringify(m.toJSON()));
    for (const p of Object.values(state.predictors) as Array<Record<string, unknown>>) {
      expect(p.tp).toBeGreaterThan(0);
      delete p.tp;
      delete p.tn;
      delete p.ref;
    }
    const old = AdaptiveBinnedBayes.fromJSON(state);
    for (const { x } of stream.slice(0, 50))
      expect(Math.abs(old.predict(x) - m.predict(x))).toBeLessThan(0.01);
    old.learn(stream[0]!.x, 1);
    expect(old.responses).toBeCloseTo(1501, 9);
  });

  it('treats missing values as a bin of their own, and learns what missing means', () => {
    const m = new AdaptiveBinnedBayes();
    const rnd = mulberry32(4);
    for (let i = 0; i < 4000; i++) {
      const missing = rnd() < 0.3;
      m.learn(
        missing ? { income: null } : { income: rnd() * 100 },
        missing ? (rnd() < 0.5 ? 1 : 0) : rnd() < 0.1 ? 1 : 0,
      );
    }
    expect(m.predict({ income: null })).toBeGreaterThan(0.35);
    expect(m.predict({})).toBeGreaterThan(0.35);
    expect(m.predict({ income: 50 })).toBeLessThan(0.2);
  });

  it('switches off predictors whose own AUC stays near 0.5 and reports their AUC', () => {
    const m = new AdaptiveBinnedBayes({ minAuc: 0.55, aucEvidence: 200 });
    const rnd = mulberry32(6);
    for (let i = 0; i < 3000; i++) {
      const signal = rnd();
      m.learn({ signal, noise: rnd() }, rnd() < signal * 0.5 ? 1 : 0);
    }
    const aucs = Object.fromEntries(m.predictorAucs().map((a) => [a.name, a]));
    expect(aucs.signal!.auc).toBeGreaterThan(0.65);
    expect(aucs.signal!.active).toBe(true);
    expect(aucs.noise!.active).toBe(false);
  });

  it('groups rare categorical levels beyond maxLevels into one bin', () => {
    const m = new AdaptiveBinnedBayes({ maxLevels: 5 });
    for (let i = 0; i < 100; i++) m.learn({ city: `c${i}` }, i % 2);
    const state = m.toJSON() as unknown as { predictors: Record<string, { levels: unknown[] }> };
    expect(state.predictors.city!.levels).toHaveLength(6);
  });

  it('binAuc is 1 for separating bins, 0.5 for uninformative ones', () => {
    expect(
      binAuc([
        [10, 0],
        [0, 10],
      ]),
    ).toBe(1);
    expect(
      binAuc([
        [5, 5],
        [5, 5],
      ]),
    ).toBe(0.5);
  });

  it('a model that has only failed predicts its base rate wherever the row lies, and trusts its bins as evidence of both kinds grows', () => {
    const rnd = mulberry32(11);
    const row = () => ({
      age: Math.floor(rnd() * 80),
      score: rnd() * 10,
      segment: ['a', 'b', 'c'][Math.floor(rnd() * 3)]!,
    });
    const thin = new AdaptiveBinnedBayes();
    const naive = new AdaptiveBinnedBayes({ trustAfter: 0 });
    // Ten predictors, twenty failures spread over their values: each bin holds a failure or two.
    const rowOf = (v: (f: number) => number) =>
      Object.fromEntries([...Array(10).keys()].map((f) => [`f${f}`, v(f)]));
    for (let i = 0; i < 20; i++) {
      const x = rowOf((f) => (i * 7 + f * 3) % 20);
      thin.learn(x, 0);
      naive.learn(x, 0);
    }
    // Base rate with the prior Beta(1, 9) after 20 failures: 1 / 30.
    const unusual = rowOf((f) => (f * 5) % 20);
    expect(thin.predict(unusual)).toBeCloseTo(1 / 30, 12);
    expect(thin.explain(unusual)).toEqual([]);
    // Plain naive Bayes reads bins with few failures as signs of success, on every predictor at once.
    expect(naive.predict(unusual)).toBeGreaterThan(1.5 / 30);
    // With positives the bins count again, in proportion n / (n + 4) of the rarer kind.
    const m = new AdaptiveBinnedBayes();
    for (let i = 0; i < 400; i++) {
      const x = row();
      m.learn(x, x.age < 30 ? 1 : 0);
    }
    expect(m.predict({ age: 20, score: 5, segment: 'a' })).toBeGreaterThan(0.8);
    expect(m.predict({ age: 60, score: 5, segment: 'a' })).toBeLessThan(0.1);
  });
});

// The options that are off by default keep the same contract (a restored model is the model, and so on).
describe.each([
  { calibrate: true, shrink: true },
  { weighted: false, scalePrior: false, maxLevels: 1 },
])('AdaptiveBinnedBayes with %o', (options) => {
  learnerConformance(() => new AdaptiveBinnedBayes(options), 0.06);
});

describe('AdaptiveBinnedBayes forgetting', () => {
  restoresExactly(() => new AdaptiveBinnedBayes({ halfLife: 300 }));

  it('with a half-life it follows a rate that changed; without one it remembers the old rate', () => {
    const rnd = mulberry32(12);
    const forgetting = new AdaptiveBinnedBayes({ halfLife: 200 });
    const remembering = new AdaptiveBinnedBayes();
    for (let i = 0; i < 6000; i++) {
      const y = rnd() < (i < 5000 ? 0.8 : 0.1) ? 1 : 0;
      forgetting.learn({ channel: 'web' }, y);
      remembering.learn({ channel: 'web' }, y);
    }
    expect(forgetting.predict({ channel: 'web' })).toBeLessThan(0.2);
    expect(remembering.predict({ channel: 'web' })).toBeGreaterThan(0.6);
    // Evidence is bounded: about halfLife / ln 2 responses.
    expect(forgetting.responses).toBeLessThan(350);
    const copy = AdaptiveBinnedBayes.fromJSON(JSON.parse(JSON.stringify(forgetting.toJSON())));
    expect(copy.predict({ channel: 'web' })).toBeCloseTo(forgetting.predict({ channel: 'web' }), 12);
  });
});
