import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/core/random.ts';
import { AdaptiveBinnedBayes } from '../../../src/learn/binned/model.ts';
import { RowViews } from '../../../src/learn/binned/rowView.ts';

function trained(names: string[], seed: number, views?: RowViews): AdaptiveBinnedBayes {
  const m = new AdaptiveBinnedBayes({}, views);
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
    const views = new RowViews();
    const a = views.slotOf('a');
    const b = views.slotOf('b');
    expect(views.slotOf('a')).toBe(a);
    expect(views.view({ a: 1 })).toBeUndefined();
    const view = views.view(Object.freeze({ a: 3, b: 'x' }))!;
    expect(view[a]).toBe(3);
    expect(view[b]).toBeNaN();
    // The next row resets what the previous one wrote.
    const next = views.view(Object.freeze({ b: Number.POSITIVE_INFINITY }))!;
    expect(next[a]).toBeNaN();
    expect(next[b]).toBeNaN();
  });

  it('two owners do not share slots or a current row', () => {
    const one = new RowViews();
    const two = new RowViews();
    one.slotOf('x');
    expect(two.slotOf('y')).toBe(0);
    expect(one.slotOf('y')).toBe(1);
    const row = Object.freeze({ x: 5, y: 7 });
    expect(one.view(row)![0]).toBe(5);
    expect(two.view(row)![0]).toBe(7);
    // A row viewed by one owner leaves the other's current row alone.
    const other = Object.freeze({ y: 9 });
    expect(two.view(other)![0]).toBe(9);
    expect(one.view(row)![1]).toBe(7);
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
    const views = new RowViews();
    const m1 = trained(['rv.p', 'rv.q'], 2, views);
    const m2 = trained(['rv.q', 'rv.p'], 3, views);
    const m3 = trained(['rv.p', 'rv.q'], 4);
    const r1 = Object.freeze({ 'rv.p': 1, 'rv.q': 19 });
    const r2 = Object.freeze({ 'rv.p': 18, 'rv.q': 0 });
    for (const r of [r1, r2, r1, r1, r2]) {
      expect(m1.predict(r)).toBe(m1.predict({ ...r }));
      expect(m2.predict(r)).toBe(m2.predict({ ...r }));
      expect(m3.predict(r)).toBe(m3.predict({ ...r }));
    }
  });

  it('a predictor a model learns after a frozen row was viewed still reads its value from that row', () => {
    const views = new RowViews();
    const row = Object.freeze({ 'rv.old': 4, 'rv.late': 15 });
    const first = trained(['rv.old'], 4, views);
    first.predict(row);
    // A second model of the same owner learns 'rv.late', a name no model had used when the row was viewed.
    const late = trained(['rv.late'], 5, views);
    expect(late.predict(row)).toBe(late.predict({ ...row }));
    expect(late.predict(row)).not.toBe(late.predict({ 'rv.old': 4 }));
  });
});
