import { describe, expect, it } from 'vitest';
import { type ArmSettings, assignArm, hash32 } from '../../src/core/arms.ts';
import { mulberry32 } from '../../src/core/random.ts';

const settings: ArmSettings = {
  shares: { control: 0.05, businessRule: 0.1 },
  channels: { email: { control: 0.2 } },
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
    for (let i = 0; i < n; i++) counts[assignArm(settings, `customer-${i}`, 'web', T, never)]++;
    // Within 4 standard deviations of the expected count: fails by chance with probability < 1e-4.
    const within = (observed: number, p: number) =>
      expect(Math.abs(observed - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
    within(counts.control, 0.05);
    within(counts.businessRule, 0.1);
    within(counts.adaptive, 0.85);
  });

  it('a per-channel share replaces the default on that channel', () => {
    const n = 20_000;
    let control = 0;
    for (let i = 0; i < n; i++)
      if (assignArm(settings, `customer-${i}`, 'email', T, never) === 'control') control++;
    expect(Math.abs(control - n * 0.2)).toBeLessThan(4 * Math.sqrt(n * 0.2 * 0.8));
  });

  it('is sticky per customer within the period, across channels and nodes, and reshuffles with the salt', () => {
    let sameWithinPeriod = 0;
    let sameOtherSalt = 0;
    const n = 5000;
    for (let i = 0; i < n; i++) {
      const id = `c${i}`;
      const arm = assignArm(settings, id, 'web', T, never);
      // Same period (the 30-day period containing T), other channel with the same shares: same arm.
      if (assignArm(settings, id, 'app', T + 3_600_000, never) === arm) sameWithinPeriod++;
      if (assignArm({ ...settings, salt: 'other' }, id, 'web', T, never) === arm) sameOtherSalt++;
    }
    expect(sameWithinPeriod).toBe(n);
    // A new salt keeps a customer's arm only by chance (≈ 0.85² + 0.05² + 0.1² = 0.735 of them).
    expect(sameOtherSalt / n).toBeGreaterThan(0.7);
    expect(sameOtherSalt / n).toBeLessThan(0.77);
  });

  it('anonymous decisions draw per decision from the random source', () => {
    const rng = mulberry32(9);
    let control = 0;
    for (let i = 0; i < 20_000; i++) if (assignArm(settings, null, 'web', T, rng) === 'control') control++;
    expect(Math.abs(control - 1000)).toBeLessThan(4 * Math.sqrt(20_000 * 0.05 * 0.95));
  });
});

describe('pinned assignment (a change here reshuffles every customer of every deployment)', () => {
  it('hash32 gives these values', () => {
    expect(['', 'a', 'C00042', 'customer-1', 'nextbest|0|C00001'].map(hash32)).toEqual([
      2872998923, 444641715, 2253239215, 3902211816, 1185578043,
    ]);
  });

  it('100,000 customers fall into these arms, on the web and with the email override', () => {
    const tally = (channel: string) => {
      const counts = { adaptive: 0, control: 0, businessRule: 0 };
      for (let i = 0; i < 100_000; i++) counts[assignArm(settings, `customer-${i}`, channel, T, never)]++;
      return counts;
    };
    expect(tally('web')).toEqual({ adaptive: 85_116, control: 4888, businessRule: 9996 });
    expect(tally('email')).toEqual({ adaptive: 70_150, control: 19_886, businessRule: 9964 });
  });
});
