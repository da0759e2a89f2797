import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/random.ts';
import { AdaptiveBinnedBayes } from '../../../src/learn/binned/model.ts';
import type { Features } from '../../../src/learn/learner.ts';
import { auc } from '../../../src/measure/modelQuality.ts';

/** y depends only on whether a and b agree: each alone says nothing, so naive Bayes cannot see it. */
function agreementStream(n: number, seed: number): Array<{ x: Features; y: number }> {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const a = rnd() < 0.5 ? 'red' : 'blue';
    const b = rnd() < 0.5 ? 'red' : 'blue';
    const p = a === b ? 0.6 : 0.1;
    return { x: { a, b, noise: rnd() * 100, day: Math.floor(rnd() * 31) }, y: rnd() < p ? 1 : 0 };
  });
}

function heldOutAuc(model: AdaptiveBinnedBayes, test: Array<{ x: Features; y: number }>) {
  return auc(
    test.map((r) => model.predict(r.x)),
    test.map((r) => r.y),
  );
}

describe('pairwise corrections of the binned learner', () => {
  it('learn an interaction that plain naive Bayes cannot see', () => {
    const train = agreementStream(4000, 1);
    const test = agreementStream(2000, 2);
    const plain = new AdaptiveBinnedBayes({ pairs: 0 });
    const paired = new AdaptiveBinnedBayes({ pairs: 2 });
    for (const r of train) {
      plain.learn(r.x, r.y);
      paired.learn(r.x, r.y);
    }
    expect(heldOutAuc(plain, test)).toBeLessThan(0.56);
    expect(heldOutAuc(paired, test)).toBeGreaterThan(0.7);
    // The explanation names the pair.
    expect(paired.explain({ a: 'red', b: 'red', noise: 5, day: 3 }).map((c) => c.name)).toContain('a×b');
  });

  it('code numbers alike on the fast path (frozen rows) and the reference path', () => {
    const rnd = mulberry32(11);
    const model = new AdaptiveBinnedBayes({ pairs: 2 });
    for (let i = 0; i < 5000; i++) {
      const x = { a: Math.floor(rnd() * 10), b: rnd() * 20, c: Math.floor(rnd() * 1000) };
      model.learn(x, rnd() < (x.a < 5 === x.b < 10 ? 0.5 : 0.1) ? 1 : 0);
    }
    expect(model.explain({ a: 1, b: 2, c: 3 }).map((c) => c.name)).toContain('a×b');
    const gaps: number[] = [];
    for (const a of [-3, 0, 4, 4.5, 9, 10, 11, 1e9, Number.NaN])
      for (const b of [-1, 0, 9.99, 10, 19.5, 40, Number.POSITIVE_INFINITY]) {
        const x = { a, b, c: 500 };
        const sum = model.explain(x).reduce((s, c) => s + c.contribution, 0);
        gaps.push(model.logOdds(Object.freeze({ ...x })) - sum);
      }
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0]!, 12);
  });

  it('round-trip through JSON with the same predictions', () => {
    const model = new AdaptiveBinnedBayes({ pairs: 2 });
    for (const r of agreementStream(3000, 3)) model.learn(r.x, r.y);
    const copy = AdaptiveBinnedBayes.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    for (const r of agreementStream(200, 4)) expect(copy.predict(r.x)).toBeCloseTo(model.predict(r.x), 12);
    // And keep learning alike.
    for (const r of agreementStream(500, 5)) {
      model.learn(r.x, r.y);
      copy.learn(r.x, r.y);
    }
    for (const r of agreementStream(200, 6)) expect(copy.predict(r.x)).toBeCloseTo(model.predict(r.x), 12);
  });

  it('merge the counts of a copy that froze the same codes', () => {
    const base = new AdaptiveBinnedBayes({ pairs: 2 });
    for (const r of agreementStream(1000, 7)) base.learn(r.x, r.y);
    const left = AdaptiveBinnedBayes.fromJSON(base.toJSON());
    const right = AdaptiveBinnedBayes.fromJSON(base.toJSON());
    const more = agreementStream(2000, 8);
    for (const r of more.slice(0, 1000)) left.learn(r.x, r.y);
    for (const r of more.slice(1000)) right.learn(r.x, r.y);
    const pairsOf = (m: AdaptiveBinnedBayes) =>
      (m.toJSON() as unknown as { pairs: { tables: number[][] } }).pairs.tables.map((t) =>
        t.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0),
      );
    const before = pairsOf(left).map((n, i) => n + pairsOf(right)[i]!);
    left.merge(right);
    // Each table holds the counts of both halves (the shared history counted twice, like the single bins).
    for (const [i, n] of pairsOf(left).entries()) expect(n).toBeCloseTo(before[i]!, 3);
  });

  it('unlearn takes a response back', () => {
    const model = new AdaptiveBinnedBayes({ pairs: 2 });
    for (const r of agreementStream(2000, 9)) model.learn(r.x, r.y);
    const probe = { a: 'red', b: 'blue', noise: 1, day: 4 };
    const x = { a: 'red', b: 'red', noise: 50, day: 10 };
    const before = model.predict(probe);
    model.learn(x, 1);
    model.unlearn(x, 1);
    expect(model.predict(probe)).toBeCloseTo(before, 2);
  });
});

describe('the default binned learner on hostile streams', () => {
  it('stays finite with extreme outliers, missing values, rare positives and changing levels', () => {
    const rnd = mulberry32(11);
    const model = new AdaptiveBinnedBayes();
    const extreme = [
      1e300,
      -1e300,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      0,
      -0,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ];
    const sample = (): Features => ({
      heavy:
        rnd() < 0.02
          ? extreme[Math.floor(rnd() * extreme.length)]!
          : Math.exp(rnd() * 40) * (rnd() < 0.5 ? -1 : 1),
      level: `L${Math.floor(rnd() ** 3 * 500)}`,
      flag: rnd() < 0.5,
      gap: rnd() < 0.3 ? null : Math.floor(rnd() * 10),
    });
    for (let i = 0; i < 20_000; i++) {
      const x = sample();
      // 0.2 % positives, more when the flag is set and the level is low.
      const p = x.flag && String(x.level).length < 3 ? 0.02 : 0.001;
      model.learn(x, rnd() < p ? 1 : 0);
    }
    for (let i = 0; i < 500; i++) {
      const q = model.predict(sample());
      expect(Number.isFinite(q)).toBe(true);
      expect(q).toBeGreaterThan(0);
      expect(q).toBeLessThan(1);
    }
    const copy = AdaptiveBinnedBayes.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const probe = { heavy: 1e300, level: 'L3', flag: true, gap: null };
    expect(copy.predict(probe)).toBeCloseTo(model.predict(probe), 12);
  });
});
