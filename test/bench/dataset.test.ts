import { describe, expect, it } from 'vitest';
import { type Dataset, stressed } from '../../bench/lib/dataset.ts';
import { mulberry32 } from '../../src/core/random.ts';

function dataset(): Dataset {
  const rnd = mulberry32(1);
  // Three classes at 40/30/30 %, one numeric and one categorical feature.
  const rows = Array.from({ length: 10_000 }, (_, i) => ({
    x: Object.freeze({ size: Math.floor(rnd() * 100), colour: i % 2 ? 'colour=red' : 'colour=blue' }),
    label: i % 10 < 4 ? 0 : i % 10 < 7 ? 1 : 2,
  }));
  return { name: 'toy', labels: ['a', 'b', 'c'], rows, numeric: ['size'], categorical: ['colour'] };
}

describe('stressed copies of benchmark data', () => {
  it('skew keeps every row of the most frequent class and samples the rest down to the asked share', () => {
    const data = dataset();
    const skewed = stressed(data, { skew: 0.8 }, mulberry32);
    const top = skewed.rows.filter((r) => r.label === 0).length;
    expect(top).toBe(4000);
    expect(top / skewed.rows.length).toBeGreaterThan(0.77);
    expect(top / skewed.rows.length).toBeLessThan(0.83);
    expect(skewed.name).toBe('toy+skew0.8');
    expect(data.rows).toHaveLength(10_000);
  });

  it('outliers replace about that fraction of numeric cells by huge values and leave the rest alone', () => {
    const data = dataset();
    const noisy = stressed(data, { outliers: 0.05 }, mulberry32);
    let changed = 0;
    noisy.rows.forEach((r, i) => {
      const before = data.rows[i]!.x;
      expect(r.x.colour).toBe(before.colour);
      if (r.x.size !== before.size) {
        changed++;
        expect(Math.abs(r.x.size as number)).toBeGreaterThanOrEqual(1e9);
      }
    });
    expect(changed / noisy.rows.length).toBeGreaterThan(0.04);
    expect(changed / noisy.rows.length).toBeLessThan(0.06);
    expect(Object.isFrozen(noisy.rows[0]!.x)).toBe(true);
  });

  it('names a share outside (0, 1)', () => {
    expect(() => stressed(dataset(), { skew: 1.5 }, mulberry32)).toThrow(/--skew/);
    expect(() => stressed(dataset(), { outliers: -1 }, mulberry32)).toThrow(/--outliers/);
  });
});
