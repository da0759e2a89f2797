// KPIs and lift: rates with their Wilson intervals, and the adaptive arm's lift over the control (and the
// business-rule) arm as a ratio of acceptance rates with the Katz log interval, plus the difference in
// acceptance rate with Newcombe's hybrid score interval. Pure: it gets counts and returns figures.

import type { BASELINE_ARMS } from '../core/arms.ts';
import { DAY_MS } from '../core/contactPolicy.ts';
import { KPI_DIMENSIONS, type KpiDimension, type Store } from '../store/store.ts';
import { type KpiCounts, kpiCounts } from './answers.ts';
import { katzRatio, newcombeDifference, wilson } from './stats.ts';

export const LIFT_METHOD =
  'lift = acceptRate(adaptive) / acceptRate(baseline) − 1 per offer, 95 % CI by the Katz log method for a ratio of ' +
  'two independent proportions (0.5 added to all four counts when one is zero); difference in accept rate with ' +
  "Newcombe's hybrid score interval (1998, method 10); rates with Wilson score intervals.";

export interface KpiRow extends KpiCounts {
  acceptRate: number;
  acceptRateCi: [number, number];
  conversionRate: number;
  clickRate: number;
  valuePerDecision: number;
  valuePerOffer: number;
}

export interface Lift {
  /** The group this lift is for (the dimensions asked for, without the arm). */
  key: Partial<Record<KpiDimension, string>>;
  baseline: (typeof BASELINE_ARMS)[number];
  adaptive: { offers: number; accepts: number; acceptRate: number };
  other: { offers: number; accepts: number; acceptRate: number };
  /** Relative lift of the accept rate (0.5 = +50 %); null when the baseline has no offers. */
  lift: number | null;
  liftCi: [number, number] | null;
  difference: number;
  differenceCi: [number, number];
}

export function kpiRow(c: KpiCounts): KpiRow {
  const ci = wilson(c.accepts, c.offers);
  return {
    ...c,
    acceptRate: c.offers > 0 ? c.accepts / c.offers : 0,
    acceptRateCi: [ci.low, ci.high],
    conversionRate: c.offers > 0 ? c.conversions / c.offers : 0,
    clickRate: c.offers > 0 ? c.clicks / c.offers : 0,
    valuePerDecision: c.decisions > 0 ? c.value / c.decisions : 0,
    valuePerOffer: c.offers > 0 ? c.value / c.offers : 0,
  };
}

/**
 * Lift of the adaptive arm over each baseline arm present, per group of the other dimensions. `counts` must
 * be grouped by `dims` plus `arm`.
 */
export function lifts(counts: readonly KpiCounts[], dims: readonly KpiDimension[]): Lift[] {
  const groups = new Map<
    string,
    { key: Partial<Record<KpiDimension, string>>; arms: Map<string, KpiCounts> }
  >();
  for (const c of counts) {
    const key = Object.fromEntries(dims.map((d) => [d, c.key[d] ?? ''])) as Partial<
      Record<KpiDimension, string>
    >;
    const id = JSON.stringify(key);
    let g = groups.get(id);
    if (!g) {
      g = { key, arms: new Map() };
      groups.set(id, g);
    }
    g.arms.set(c.key.arm ?? 'adaptive', c);
  }
  const out: Lift[] = [];
  for (const { key, arms } of groups.values()) {
    const adaptive = arms.get('adaptive');
    if (!adaptive) continue;
    for (const baseline of ['control', 'businessRule'] as const) {
      const other = arms.get(baseline);
      if (!other) continue;
      const ratio = katzRatio(adaptive.accepts, adaptive.offers, other.accepts, other.offers);
      const diff = newcombeDifference(adaptive.accepts, adaptive.offers, other.accepts, other.offers);
      const rate = (c: KpiCounts) => ({
        offers: c.offers,
        accepts: c.accepts,
        acceptRate: c.offers > 0 ? c.accepts / c.offers : 0,
      });
      out.push({
        key,
        baseline,
        adaptive: rate(adaptive),
        other: rate(other),
        lift:
          ratio && other.accepts > 0
            ? adaptive.accepts / adaptive.offers / (other.accepts / other.offers) - 1
            : null,
        liftCi: ratio ? [ratio.low - 1, ratio.high - 1] : null,
        difference: diff.difference,
        differenceCi: [diff.low, diff.high],
      });
    }
  }
  return out;
}

/** Reads `arm,day`-style dimension lists; throws a RangeError naming the unknown one. */
export function parseKpiDimensions(text: string): KpiDimension[] {
  const dims = text === '' ? [] : text.split(',').map((d) => d.trim());
  for (const d of dims) {
    if (!(KPI_DIMENSIONS as readonly string[]).includes(d))
      throw new RangeError(`unknown dimension '${d}' (known: ${KPI_DIMENSIONS.join(', ')})`);
  }
  return [...new Set(dims)] as KpiDimension[];
}

/** The default KPI window: the 30 days before `to`, `to` defaulting to now. */
export function kpiRange(from: number | undefined, to: number | undefined, now: number) {
  const end = to ?? now;
  return { from: from ?? end - 30 * DAY_MS, to: end };
}

/** KPIs over [from, to) grouped by `by`, and the adaptive arm's lift per group of the other dimensions. */
export async function kpiReport(
  store: Pick<Store, 'choiceTallies' | 'decisionTallies' | 'degradedPeriods'>,
  query: { from: number; to: number; by: readonly KpiDimension[] },
) {
  const dims = query.by.filter((d) => d !== 'arm');
  const [rows, perArm, degraded] = await Promise.all([
    kpiCounts(store, query.from, query.to, query.by),
    kpiCounts(store, query.from, query.to, [...dims, 'arm']),
    store.degradedPeriods(query.from, query.to),
  ]);
  return {
    from: query.from,
    to: query.to,
    by: [...query.by],
    rows: rows.map(kpiRow),
    lift: lifts(perArm, dims),
    method: LIFT_METHOD,
    // Decisions made while degraded are not logged: these periods are gaps in the counts above.
    degradedPeriods: degraded,
  };
}

export type KpiReport = Awaited<ReturnType<typeof kpiReport>>;

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

/** The report as text tables, for the CLI. */
export function formatKpiReport(report: KpiReport): string {
  const lines: string[] = [];
  const header = [
    ...report.by,
    'decisions',
    'offers',
    'accepts',
    'accept rate per offer',
    '95 % CI',
    'conversions',
    'value/decision',
  ];
  const body = report.rows.map((r) => [
    ...report.by.map((d) => r.key[d] ?? ''),
    String(r.decisions),
    String(r.offers),
    String(r.accepts),
    pct(r.acceptRate),
    `${pct(r.acceptRateCi[0])} – ${pct(r.acceptRateCi[1])}`,
    String(r.conversions),
    r.valuePerDecision.toFixed(2),
  ]);
  lines.push(...table(header, body));
  if (report.lift.length > 0) {
    lines.push('');
    const dims = report.by.filter((d) => d !== 'arm');
    const liftHeader = [...dims, 'baseline', 'adaptive', 'baseline rate', 'lift', '95 % CI'];
    const liftBody = report.lift.map((l) => [
      ...dims.map((d) => l.key[d] ?? ''),
      l.baseline,
      pct(l.adaptive.acceptRate),
      pct(l.other.acceptRate),
      l.lift === null ? 'n/a' : `${l.lift >= 0 ? '+' : ''}${pct(l.lift)}`,
      l.liftCi ? `${pct(l.liftCi[0])} – ${pct(l.liftCi[1])}` : 'n/a',
    ]);
    lines.push(...table(liftHeader, liftBody));
  }
  lines.push('', report.method);
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

export const ARMS = ['adaptive', 'control', 'businessRule'] as const;

export interface SeriesPoint {
  /** Start of the bucket (epoch ms). */
  t: number;
  /** Per arm: offers and accepts in the bucket, and the cumulative accept rate since `from` with its interval. */
  arms: Record<
    (typeof ARMS)[number],
    {
      offers: number;
      accepts: number;
      cumOffers: number;
      cumAccepts: number;
      cumRate: number | null;
      cumCi: [number, number] | null;
    }
  >;
  decisions: number;
  value: number;
  /** Cumulative lift of the adaptive arm over control, with the Katz interval (null while undefined). */
  lift: number | null;
  liftCi: [number, number] | null;
}

/** Accept rates per arm over time in buckets of `stepMs`, cumulated from `from` (what the overview plots). */
export async function kpiSeries(
  store: Pick<Store, 'choiceTallies' | 'decisionTallies'>,
  query: { from: number; to: number; stepMs: number },
) {
  const rows = await kpiCounts(store, query.from, query.to, ['arm'], query.stepMs);
  const buckets = new Map<number, KpiCounts[]>();
  for (const r of rows) {
    const t = Number(r.key.bucket);
    const list = buckets.get(t) ?? [];
    list.push(r);
    buckets.set(t, list);
  }
  const cum = Object.fromEntries(ARMS.map((a) => [a, { offers: 0, accepts: 0 }])) as Record<
    (typeof ARMS)[number],
    { offers: number; accepts: number }
  >;
  const points: SeriesPoint[] = [];
  for (let t = query.from; t < query.to; t += query.stepMs) {
    const list = buckets.get(t) ?? [];
    const arms = {} as SeriesPoint['arms'];
    for (const arm of ARMS) {
      const c = list.find((r) => r.key.arm === arm);
      cum[arm].offers += c?.offers ?? 0;
      cum[arm].accepts += c?.accepts ?? 0;
      const { offers, accepts } = cum[arm];
      const ci = offers > 0 ? wilson(accepts, offers) : undefined;
      arms[arm] = {
        offers: c?.offers ?? 0,
        accepts: c?.accepts ?? 0,
        cumOffers: offers,
        cumAccepts: accepts,
        cumRate: offers > 0 ? accepts / offers : null,
        cumCi: ci ? [ci.low, ci.high] : null,
      };
    }
    const a = cum.adaptive;
    const c = cum.control;
    const ratio = katzRatio(a.accepts, a.offers, c.accepts, c.offers);
    points.push({
      t,
      arms,
      decisions: list.reduce((s, r) => s + r.decisions, 0),
      value: list.reduce((s, r) => s + r.value, 0),
      lift: ratio && c.accepts > 0 && a.offers > 0 ? a.accepts / a.offers / (c.accepts / c.offers) - 1 : null,
      liftCi: ratio && c.accepts > 0 ? [ratio.low - 1, ratio.high - 1] : null,
    });
  }
  return { from: query.from, to: query.to, stepMs: query.stepMs, points, method: LIFT_METHOD };
}

export type KpiSeries = Awaited<ReturnType<typeof kpiSeries>>;
