import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import { AdaptiveBinnedBayes } from '../../src/learn/adaptiveBinnedBayes.ts';
import { numericView, slotOf } from '../../src/learn/rowView.ts';

function trained(names: string[], seed: number): AdaptiveBinnedBayes {
  const m = new AdaptiveBinnedBayes();
  const rnd = mulberry32(seed);
  for (let i = 0; i < 3000; i++) {
    const x: Record<string, number> = {};
    for (const n of names) x[n] = Math.floor(rnd() * 20);
    m.learn(x, rnd() < 0.1 + 0.03 * (x[names[0]!] ?? 0) ? 1 : 0);
  }
  return m;
}

describe('rowView', () => {
  it('views frozen rows only, with NaN for anything that is not a finite number', () => {
    const a = slotOf('rowView.a');
    const b = slotOf('rowView.b');
    expect(slotOf('rowView.a')).toBe(a);
    expect(numericView({ 'rowView.a': 1 })).toBeUndefined();
    const view = numericView(Object.freeze({ 'rowView.a': 3, 'rowView.b': 'x' }))!;
    expect(view[a]).toBe(3);
    expect(view[b]).toBeNaN();
    // The next row resets what the previous one wrote.
    const next = numericView(Object.freeze({ 'rowView.b': Number.POSITIVE_INFINITY }))!;
    expect(next[a]).toBeNaN();
    expect(next[b]).toBeNaN();
  });

  it('a row changed in place between predictions is read afresh (it is not frozen, so never viewed)', () => {
    const m = trained(['rv.x', 'rv.y'], 1);
    const row: Record<string, number> = { 'rv.x': 2, 'rv.y': 5 };
    const before = m.predict(row);
    row['rv.x'] = 17;
    expect(m.predict(row)).toBe(m.predict({ 'rv.x': 17, 'rv.y': 5 }));
    expect(m.predict(row)).not.toBe(before);
  });

  it('frozen rows give the same predictions as plain ones, alternating between rows and models', () => {
    const m1 = trained(['rv.p', 'rv.q'], 2);
    const m2 = trained(['rv.q', 'rv.p'], 3);
    const r1 = Object.freeze({ 'rv.p': 1, 'rv.q': 19 });
    const r2 = Object.freeze({ 'rv.p': 18, 'rv.q': 0 });
    for (const r of [r1, r2, r1, r1, r2]) {
      expect(m1.predict(r)).toBe(m1.predict({ ...r }));
      expect(m2.predict(r)).toBe(m2.predict({ ...r }));
    }
  });

  it('a predictor a model learns after a frozen row was viewed still reads its value from that row', () => {
    const row = Object.freeze({ 'rv.old': 4, 'rv.late': 15 });
    const first = trained(['rv.old'], 4);
    first.predict(row);
    // A second model learns 'rv.late', a name no model had used when the row was viewed.
    const late = trained(['rv.late'], 5);
    expect(late.predict(row)).toBe(late.predict({ ...row }));
    expect(late.predict(row)).not.toBe(late.predict({ 'rv.old': 4 }));
  });
});
