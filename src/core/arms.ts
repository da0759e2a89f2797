// Measurement arms. Most decisions go to the adaptive arm (models + explorer); a random control arm picks
// uniformly among the eligible actions (same eligibility and contact policies), and an optional business-rule
// arm ranks by lever × value without any model, the classic campaign logic. Assignment is sticky per customer:
// a salted hash of the customer id and the current period, so a customer stays in one arm across sessions,
// channels and nodes for `stickyDays`, without any shared state. The assignment does not depend on the channel:
// shares per channel would put a customer in the control arm on one channel and the adaptive arm on another, and
// the adaptive offers elsewhere would contaminate the control group's outcomes (and so the lift).

import { DAY_MS } from './contactPolicy.ts';

export const ARMS = ['adaptive', 'control', 'businessRule'] as const;
export type Arm = (typeof ARMS)[number];
/** The arms the adaptive one is compared with (lift). */
export const BASELINE_ARMS = ['control', 'businessRule'] as const satisfies readonly Arm[];

export interface ArmShares {
  control: number;
  businessRule: number;
}

export interface ArmSettings {
  /** Shares of the control and business-rule arms; the rest is adaptive. */
  shares: ArmShares;
  /** How long a customer stays in the same arm. */
  stickyDays: number;
  /** Salt of the assignment hash: changing it reshuffles everyone. */
  salt: string;
}

/** 32-bit FNV-1a of a string, then a murmur3 finaliser so that near-identical ids spread evenly. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The customer's arm for a decision at `now`, the same on every channel. Anonymous decisions (no customer id)
 * draw from `rng`, so they are assigned per decision.
 */
export function assignArm(
  settings: ArmSettings,
  customerId: string | null,
  now: number,
  rng: () => number,
): Arm {
  const { shares } = settings;
  const u =
    customerId === null
      ? rng()
      : hash32(`${settings.salt}|${Math.floor(now / (settings.stickyDays * DAY_MS))}|${customerId}`) /
        2 ** 32;
  if (u < shares.control) return 'control';
  if (u < shares.control + shares.businessRule) return 'businessRule';
  return 'adaptive';
}
