// Journey KPIs: how often each channel contacts a customer, and how fast proactive (triggered) contacts turn
// into an answer. Pure figures from store rows; `journeyReport` reads them.
import type { ReportingQueries } from '../store/store.ts';
import { type TriggerJourney, triggerJourney } from './answers.ts';
import { wilson } from './stats.ts';

/** The q-quantile (0..1) of sorted values, linear between neighbours; null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function spread(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    mean: sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : null,
  };
}

export interface ChannelContacts {
  channel: string;
  /** Actions chosen for identified customers on this channel. */
  contacts: number;
  customers: number;
  /** Contacts per contacted customer. */
  perCustomer: { mean: number | null; median: number | null; p90: number | null; max: number | null };
}

export interface TriggerJourneyKpis {
  trigger: string;
  channel: string;
  /** Messages queued by the trigger (decisions that chose something). */
  messages: number;
  delivered: number;
  failed: number;
  answered: number;
  positives: number;
  /** Positives per message, with its Wilson interval. */
  positiveRate: number;
  positiveRateCi: [number, number];
  /** Hours from the firing event to the customer's first answer, over answered messages. */
  hoursToOutcome: { mean: number | null; median: number | null; p90: number | null; max: number | null };
  /** Minutes from the firing event to the queued message (ingestion delay included). */
  minutesToMessage: { mean: number | null; median: number | null; p90: number | null; max: number | null };
}

export function contactKpis(
  rows: ReadonlyArray<{ channel: string; customerId: string; contacts: number }>,
): ChannelContacts[] {
  const byChannel = new Map<string, number[]>();
  for (const r of rows) {
    const list = byChannel.get(r.channel) ?? [];
    list.push(r.contacts);
    byChannel.set(r.channel, list);
  }
  return [...byChannel.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([channel, counts]) => ({
      channel,
      contacts: counts.reduce((a, b) => a + b, 0),
      customers: counts.length,
      perCustomer: spread(counts),
    }));
}

export function triggerKpis(rows: readonly TriggerJourney[]): TriggerJourneyKpis[] {
  const byTrigger = new Map<string, TriggerJourney[]>();
  for (const r of rows) {
    const key = `${r.trigger}\u0000${r.channel}`;
    const list = byTrigger.get(key) ?? [];
    list.push(r);
    byTrigger.set(key, list);
  }
  return [...byTrigger.values()]
    .map((list) => {
      const first = list[0]!;
      const positives = list.filter((r) => r.positive).length;
      const ci = wilson(positives, list.length);
      const answered = list.filter((r) => r.answeredAt !== null);
      return {
        trigger: first.trigger,
        channel: first.channel,
        messages: list.length,
        delivered: list.filter((r) => r.status === 'done').length,
        failed: list.filter((r) => r.status === 'failed').length,
        answered: answered.length,
        positives,
        positiveRate: positives / list.length,
        positiveRateCi: [ci.low, ci.high] as [number, number],
        hoursToOutcome: spread(answered.map((r) => (r.answeredAt! - r.eventAt) / 3_600_000)),
        minutesToMessage: spread(list.map((r) => (r.createdAt - r.eventAt) / 60_000)),
      };
    })
    .sort((a, b) => a.trigger.localeCompare(b.trigger) || a.channel.localeCompare(b.channel));
}

export async function journeyReport(
  store: ReportingQueries,
  query: { from: number; to: number; positive: readonly string[] },
) {
  const [contacts, journeys] = await Promise.all([
    store.contactCounts(query.from, query.to),
    store.triggerJourneys(query.from, query.to),
  ]);
  return {
    from: query.from,
    to: query.to,
    contacts: contactKpis(contacts),
    triggers: triggerKpis(journeys.map((j) => triggerJourney(j, query.positive))),
  };
}

export type JourneyReport = Awaited<ReturnType<typeof journeyReport>>;

const fixed = (x: number | null, digits: number) => (x === null ? '–' : x.toFixed(digits));

/** The journey report as text (CLI). */
export function formatJourneyReport(r: JourneyReport): string {
  const lines = ['channel                  contacts  customers  per customer: mean  median  p90  max'];
  for (const c of r.contacts)
    lines.push(
      `${c.channel.padEnd(24)} ${String(c.contacts).padStart(8)} ${String(c.customers).padStart(10)}  ` +
        `${fixed(c.perCustomer.mean, 2).padStart(18)}  ${fixed(c.perCustomer.median, 1).padStart(6)}  ` +
        `${fixed(c.perCustomer.p90, 1).padStart(3)}  ${fixed(c.perCustomer.max, 0).padStart(3)}`,
    );
  lines.push(
    'trigger/channel          messages  delivered  answered  positive  hours to answer: median, p90',
  );
  for (const t of r.triggers)
    lines.push(
      `${`${t.trigger}/${t.channel}`.padEnd(24)} ${String(t.messages).padStart(8)} ${String(t.delivered).padStart(10)} ` +
        `${String(t.answered).padStart(9)}  ${(100 * t.positiveRate).toFixed(1).padStart(6)} %  ` +
        `${fixed(t.hoursToOutcome.median, 2)}, ${fixed(t.hoursToOutcome.p90, 2)}`,
    );
  if (r.triggers.length === 0) lines.push('  (no triggered messages)');
  return lines.join('\n');
}
