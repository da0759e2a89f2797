// Survey KPIs: NPS (0–10; promoters 9–10 minus detractors 0–6, in points) and CSAT (1–5; share of 4–5 answers),
// overall, per touchpoint and per action taken before the survey. Hand-written: two closed formulas.
import type { SurveySpec } from '../core/events.ts';
import type { Attributes } from '../core/types.ts';
import type { ReportingQueries } from '../store/store.ts';
import { wilson, Z95 } from './stats.ts';

export interface SurveyAnswer {
  score: number;
  touchpoint: string;
  /** The action chosen for the customer most recently before the survey (within the attribution window). */
  actionId: string | null;
}

export interface NpsSummary {
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
  /** −100…100. */
  nps: number;
  /** 95 % normal interval of the difference of two shares of one multinomial sample, clipped to ±100. */
  npsCi: [number, number];
}

export interface CsatSummary {
  responses: number;
  satisfied: number;
  /** Share of 4–5 answers in %, with its Wilson interval. */
  csat: number;
  csatCi: [number, number];
  meanScore: number;
}

export function npsOf(scores: readonly number[]): NpsSummary {
  const n = scores.length;
  const promoters = scores.filter((s) => s >= 9).length;
  const detractors = scores.filter((s) => s <= 6).length;
  const d = n > 0 ? (promoters - detractors) / n : 0;
  // Adjusted Wald (Rocks, 2016, "Interval Estimation for the Net Promoter Score"): ¾ pseudo-answer added to
  // promoters and to detractors, 3 to the count, then Var(p̂p − p̂d) = (pp + pd − (pp − pd)²) / n of one
  // multinomial sample. The plain Wald interval collapses to a point at n = 1 ([−100, −100]); this one does not.
  const na = n + 3;
  const pp = (promoters + 0.75) / na;
  const pd = (detractors + 0.75) / na;
  const da = pp - pd;
  const half = Z95 * Math.sqrt(Math.max(0, pp + pd - da * da) / na);
  return {
    responses: n,
    promoters,
    passives: n - promoters - detractors,
    detractors,
    nps: 100 * d,
    npsCi: [Math.max(-100, 100 * (da - half)), Math.min(100, 100 * (da + half))],
  };
}

export function csatOf(scores: readonly number[]): CsatSummary {
  const n = scores.length;
  const satisfied = scores.filter((s) => s >= 4).length;
  const ci = wilson(satisfied, n);
  return {
    responses: n,
    satisfied,
    csat: n > 0 ? (100 * satisfied) / n : 0,
    csatCi: [100 * ci.low, 100 * ci.high],
    meanScore: n > 0 ? scores.reduce((a, b) => a + b, 0) / n : 0,
  };
}

function grouped<T>(
  answers: readonly SurveyAnswer[],
  key: (a: SurveyAnswer) => string,
  summary: (s: number[]) => T,
) {
  const groups = new Map<string, number[]>();
  for (const a of answers) {
    const k = key(a);
    const list = groups.get(k) ?? [];
    list.push(a.score);
    groups.set(k, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, scores]) => ({ key: k, ...summary(scores) }));
}

/** One metric's report: overall, per touchpoint, per action before the survey ('none' when there was none). */
export function surveyReport<T>(answers: readonly SurveyAnswer[], summary: (s: number[]) => T) {
  return {
    overall: summary(answers.map((a) => a.score)),
    byTouchpoint: grouped(answers, (a) => a.touchpoint, summary).map(({ key, ...r }) => ({
      touchpoint: key,
      ...r,
    })),
    byAction: grouped(answers, (a) => a.actionId ?? 'none', summary).map(({ key, ...r }) => ({
      actionId: key,
      ...r,
    })),
  };
}

const RANGES = { nps: [0, 10], csat: [1, 5] } as const;

/** The answers a survey declaration picks out of events; scores outside the scale are counted, not used. */
export function surveyAnswers(
  metric: 'nps' | 'csat',
  spec: SurveySpec,
  events: ReadonlyArray<{ channel: string | null; payload: Attributes; actionId: string | null }>,
): { answers: SurveyAnswer[]; outOfRange: number } {
  const [lo, hi] = RANGES[metric];
  const answers: SurveyAnswer[] = [];
  let outOfRange = 0;
  for (const e of events) {
    if (spec.where && e.payload[spec.where.field] !== spec.where.equals) continue;
    const score = e.payload[spec.field];
    if (typeof score !== 'number') continue;
    if (score < lo || score > hi) {
      outOfRange++;
      continue;
    }
    const touchpoint = spec.touchpoint ? e.payload[spec.touchpoint] : e.channel;
    answers.push({
      score,
      touchpoint: typeof touchpoint === 'string' && touchpoint !== '' ? touchpoint : 'unknown',
      actionId: e.actionId,
    });
  }
  return { answers, outOfRange };
}

export async function feedbackReport(
  store: ReportingQueries,
  surveys: { nps?: SurveySpec | undefined; csat?: SurveySpec | undefined },
  range: { from: number; to: number },
) {
  const load = async (metric: 'nps' | 'csat', spec: SurveySpec) =>
    surveyAnswers(
      metric,
      spec,
      await store.eventsWithLastAction(spec.event, range.from, range.to, spec.attributionDays * 86_400_000),
    );
  const nps = surveys.nps ? await load('nps', surveys.nps) : undefined;
  const csat = surveys.csat ? await load('csat', surveys.csat) : undefined;
  return {
    from: range.from,
    to: range.to,
    nps: nps ? { ...surveyReport(nps.answers, npsOf), outOfRange: nps.outOfRange } : null,
    csat: csat ? { ...surveyReport(csat.answers, csatOf), outOfRange: csat.outOfRange } : null,
  };
}

export type FeedbackReport = Awaited<ReturnType<typeof feedbackReport>>;

/** The feedback report as text (CLI). */
export function formatFeedbackReport(r: FeedbackReport): string {
  const lines: string[] = [];
  const ci = (c: [number, number]) => `[${c[0].toFixed(0)}, ${c[1].toFixed(0)}]`;
  if (r.nps) {
    const o = r.nps.overall;
    lines.push(
      `NPS ${o.nps.toFixed(0)} ${ci(o.npsCi)} from ${o.responses} answers (${o.promoters} promoters, ${o.detractors} detractors)`,
    );
    for (const t of r.nps.byTouchpoint)
      lines.push(`  touchpoint ${t.touchpoint}: ${t.nps.toFixed(0)} ${ci(t.npsCi)} (${t.responses})`);
    for (const a of r.nps.byAction)
      lines.push(`  after ${a.actionId}: ${a.nps.toFixed(0)} ${ci(a.npsCi)} (${a.responses})`);
  } else lines.push('NPS: the catalog declares no events.surveys.nps');
  if (r.csat) {
    const o = r.csat.overall;
    lines.push(
      `CSAT ${o.csat.toFixed(0)} % ${ci(o.csatCi)} from ${o.responses} answers, mean score ${o.meanScore.toFixed(2)}`,
    );
    for (const t of r.csat.byTouchpoint)
      lines.push(`  touchpoint ${t.touchpoint}: ${t.csat.toFixed(0)} % (${t.responses})`);
  } else lines.push('CSAT: the catalog declares no events.surveys.csat');
  return lines.join('\n');
}
