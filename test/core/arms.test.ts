import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ArmSettings, assignArm, hash32 } from '../../src/core/arms.ts';
import { compileCatalog } from '../../src/core/catalog.ts';
import { parseCatalogSource } from '../../src/core/catalogSource.ts';
import { catalogWarnings } from '../../src/core/catalogWarnings.ts';
import { mulberry32 } from '../../src/core/random.ts';

const settings: ArmSettings = {
  shares: { control: 0.05, businessRule: 0.1 },
  stickyDays: 30,
  salt: 'test',
};
const T = Date.parse('2026-06-10T12:00:00Z');
const never = () => {
  throw new Error('known customers must not draw from the random source');
};

describe('control-group assignment', () => {
  it('assigns the configured shares (binomial test, 20,000 customers)', () => {
    const n = 20_000;
    const counts = { adaptive: 0, control: 0, businessRule: 0 };
    for (let i = 0; i < n; i++) counts[assignArm(settings, `customer-${i}`, T, never)]++;
    // Within 4 standard deviations of the expected count: fails by chance with probability < 1e-4.
    const within = (observed: number, p: number) =>
      expect(Math.abs(observed - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
    within(counts.control, 0.05);
    within(counts.businessRule, 0.1);
    within(counts.adaptive, 0.85);
  });

  it('is sticky per customer within the period, across channels and nodes, and reshuffles with the salt', () => {
    let sameWithinPeriod = 0;
    let sameOtherSalt = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const id = `c${i}`;
      const arm = assignArm(settings, id, T, never);
      // Same period (the 30-day period containing T), an hour later: same arm.
      if (assignArm(settings, id, T + 3_600_000, never) === arm) sameWithinPeriod++;
      if (assignArm({ ...settings, salt: 'other' }, id, T, never) === arm) sameOtherSalt++;
    }
    expect(sameWithinPeriod).toBe(n);
    // A new salt keeps a customer's arm only by chance (≈ 0.85² + 0.05² + 0.1² = 0.735 of them).
    expect(sameOtherSalt / n).toBeGreaterThan(0.7);
    expect(sameOtherSalt / n).toBeLessThan(0.77);
  });

  it('anonymous decisions draw per decision from the random source', () => {
    const rng = mulberry32(9);
    let control = 0;
    for (let i = 0; i < 20_000; i++) if (assignArm(settings, null, T, rng) === 'control') control++;
    expect(Math.abs(control - 1000)).toBeLessThan(4 * Math.sqrt(20_000 * 0.05 * 0.95));
  });
});

describe('pinned assignment (a change here reshuffles every customer of every deployment)', () => {
  it('hash32 gives these values', () => {
    expect(['', 'a', 'C00042', 'customer-1', 'nextbest|0|C00001'].map(hash32)).toEqual([
      2872998923, 444641715, 2253239215, 3902211816, 1185578043,
    ]);
  });

  it('100,000 customers fall into these arms', () => {
    const counts = { adaptive: 0, control: 0, businessRule: 0 };
    for (let i = 0; i < 100_000; i++) counts[assignArm(settings, `customer-${i}`, T, never)]++;
    expect(counts).toEqual({ adaptive: 85_116, control: 4888, businessRule: 9996 });
  });
});

describe('one arm per customer across channels', () => {
  const example = compileCatalog(
    parseCatalogSource(readFileSync(new URL('../../examples/telco/catalog.yaml', import.meta.url), 'utf8')),
  );

  it("with the example's settings, none of 100,000 customers is in two arms in a period", () => {
    // What the decision service asks for each channel; any channel dependence would show as a second arm.
    const twoArms: string[] = [];
    for (let i = 0; i < 100_000; i++) {
      const id = `C${String(i).padStart(6, '0')}`;
      const arms = new Set(
        [...example.channels.keys()].map((_, k) => assignArm(example.arms, id, T + k * 60_000, never)),
      );
      if (arms.size > 1) twoArms.push(id);
    }
    expect(twoArms).toEqual([]);
    expect(example.arms.shares).toEqual({ control: 0.05, businessRule: 0.05 });
  });

  it('a share per channel (an older catalog) is ignored with a warning, and assigns as without it', () => {
    const doc = (measurement: Record<string, unknown>) =>
      compileCatalog({
        ...example.definition,
        measurement: { controlShare: 0.05, businessRuleShare: 0.05, ...measurement },
      } as never);
    const legacy = doc({ channels: { email: { controlShare: 0.1 } } });
    expect(catalogWarnings(legacy)).toEqual([
      {
        path: 'measurement.channels.email',
        message: expect.stringMatching(/^ignored: a customer is in one arm/),
      },
    ]);
    expect(catalogWarnings(doc({}))).toEqual([]);
    expect(legacy.arms).toEqual(doc({}).arms);
  });
});
