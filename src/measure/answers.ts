// What the recorded facts mean: the store keeps, per chosen action, which outcome types were reported and the
// values; these rules turn them into rewards, KPI counts and journeys. They live here, not in SQL, so every
// store dialect reports the same numbers.
import { DAY_MS } from '../core/contactPolicy.ts';
import type {
  ChoiceFlags,
  ChoiceTally,
  KpiDimension,
  OutboundJourney,
  Store,
  TallyKey,
} from '../store/store.ts';

/** The reward of a chosen action: 1 for a positive outcome type, 0 for a reject or an expiry, null: no answer. */
export function rewardOfFlags(flags: ChoiceFlags, positive: readonly string[]): 0 | 1 | null {
  for (const p of positive) if (flags[p as keyof ChoiceFlags] === true) return 1;
  return flags.reject || flags.expired ? 0 : null;
}

/** An offer counts as accepted with an accept or a convert outcome. */
export const isAccepted = (f: ChoiceFlags) => f.accept || f.convert;

/** Counts over the chosen actions (offers) of one group of a KPI query. */
export interface KpiCounts {
  /** The group's value per dimension asked for (`group` is `issue/group`, `day` is YYYY-MM-DD in UTC). */
  key: TallyKey;
  /** Decisions that chose at least one action of this group. */
  decisions: number;
  /** Chosen actions. */
  offers: number;
  impressions: number;
  clicks: number;
  /** Offers accepted (an accept or a convert outcome). */
  accepts: number;
  conversions: number;
  rejects: number;
  /** Offers whose response window ran out with no answer at all. */
  expired: number;
  /**
   * Realised value: the values reported with outcomes; an accepted offer reported without a value counts with
   * the action's value at decision time.
   */
  value: number;
}

const isoDay = (day: string) => new Date(Number(day) * DAY_MS).toISOString().slice(0, 10);

/** KPI counts of the choices made in [from, to), grouped by `by` (and time buckets of `bucketMs`). */
export async function kpiCounts(
  store: Pick<Store, 'choiceTallies' | 'decisionTallies'>,
  from: number,
  to: number,
  by: readonly KpiDimension[],
  bucketMs?: number,
): Promise<KpiCounts[]> {
  const [tallies, decisions] = await Promise.all([
    store.choiceTallies(from, to, by, bucketMs),
    store.decisionTallies(from, to, by, bucketMs),
  ]);
  const id = (key: TallyKey) => JSON.stringify(by.map((d) => key[d]).concat(bucketMs ? [key.bucket] : []));
  const groups = new Map<string, KpiCounts>();
  for (const t of tallies) {
    const k = id(t.key);
    let g = groups.get(k);
    if (!g) {
      const key: TallyKey = { ...t.key };
      if (key.day !== undefined) key.day = isoDay(key.day);
      g = {
        key,
        decisions: 0,
        offers: 0,
        impressions: 0,
        clicks: 0,
        accepts: 0,
        conversions: 0,
        rejects: 0,
        expired: 0,
        value: 0,
      };
      groups.set(k, g);
    }
    addTally(g, t);
  }
  for (const d of decisions) {
    const g = groups.get(id(d.key));
    if (g) g.decisions = d.decisions;
  }
  return [...groups.values()].filter((g) => g.offers > 0);
}

function addTally(g: KpiCounts, t: ChoiceTally): void {
  const f = t.flags;
  g.offers += t.offers;
  if (f.impression) g.impressions += t.offers;
  if (f.click) g.clicks += t.offers;
  if (isAccepted(f)) g.accepts += t.offers;
  if (f.convert) g.conversions += t.offers;
  if (f.reject) g.rejects += t.offers;
  if (f.expired && !(isAccepted(f) || f.click || f.reject)) g.expired += t.offers;
  if (t.valued) g.value = finite(g.value + t.outcomeValue);
  else if (isAccepted(f)) g.value = finite(g.value + t.value);
}

/**
 * Sums stay finite: values are bounded on the way in, but a log written before the bound (or by another tool)
 * may hold values whose sum overflows, and one such row must not make every KPI answer fail.
 */
function finite(x: number): number {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 0 : x > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** Outcome types that answer a message (an impression or an expiry does not). */
const ANSWERS = ['click', 'accept', 'reject', 'convert'] as const;

/** A triggered message from event to answer. */
export interface TriggerJourney extends Omit<OutboundJourney, 'firstAt'> {
  /** The first answer (click, accept, reject, convert), null when none yet. */
  answeredAt: number | null;
  /** Whether a positive outcome type was reported. */
  positive: boolean;
}

export function triggerJourney(j: OutboundJourney, positive: readonly string[]): TriggerJourney {
  const { firstAt, ...rest } = j;
  const answers = ANSWERS.flatMap((a) => (firstAt[a] === undefined ? [] : [firstAt[a]!]));
  return {
    ...rest,
    answeredAt: answers.length > 0 ? Math.min(...answers) : null,
    positive: positive.some((p) => firstAt[p as keyof typeof firstAt] !== undefined),
  };
}
