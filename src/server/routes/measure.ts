import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { type Engine, EngineError } from '../../engine/engine.ts';
import { kpiRange, LIFT_METHOD } from '../../measure/kpis.ts';
import {
  errorSchema,
  feedbackResponse,
  journeyResponse,
  kpiQuery,
  kpiResponse,
  modelListResponse,
  modelParams,
  modelReportResponse,
  rangeQuery,
  seriesQuery,
  seriesResponse,
  shadowResponse,
} from '../schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();
/** JSON has no NaN: an undefined rate (no rounds) is null. */
const orNull = (x: number) => (Number.isFinite(x) ? x : null);

export async function measureRoutes(parent: FastifyInstance, engine: Engine, clock: () => number) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema };
  /** The report window: [from, to), 30 days before `to` and now by default. */
  const rangeOf = (q: { from?: number | undefined; to?: number | undefined }) =>
    kpiRange(q.from, q.to, clock());
  /** A report with its window as ISO times. */
  const dated = <T extends { from: number; to: number }>(r: T) => ({
    ...r,
    from: iso(r.from),
    to: iso(r.to),
  });

  app.get(
    '/kpis',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['measurement'],
        summary: 'KPIs per action, group, issue, channel, arm and/or day, with the lift over the control arm',
        description: `Counts are per chosen action (offer) in [from, to). ${LIFT_METHOD}`,
        querystring: kpiQuery,
        response: { 200: kpiResponse, ...errors },
      },
    },
    async (request) => {
      const report = await engine.kpis({ ...rangeOf(request.query), by: request.query.by });
      return dated({
        ...report,
        degradedPeriods: report.degradedPeriods.map((p) => ({
          from: iso(p.from),
          to: iso(p.to),
          reason: p.reason,
        })),
      });
    },
  );

  app.get(
    '/kpis/series',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['measurement'],
        summary: 'Accept rate per arm over time (cumulative, with intervals) and the lift over control',
        description: `Buckets of stepSeconds in [from, to); cumulative figures count from \`from\`. ${LIFT_METHOD}`,
        querystring: seriesQuery,
        response: { 200: seriesResponse, ...errors },
      },
    },
    async (request) => {
      const to = request.query.to ?? clock();
      const from = request.query.from ?? to - 3_600_000;
      if (from >= to) throw new EngineError('invalid', 'querystring.from', 'must be before `to`');
      const stepMs = (request.query.stepSeconds ?? Math.max(1, Math.ceil((to - from) / 60_000))) * 1000;
      if ((to - from) / stepMs > 1000)
        throw new EngineError(
          'invalid',
          'querystring.stepSeconds',
          'more than 1,000 buckets: use a wider step',
        );
      const series = await engine.kpiSeries({ from, to, stepMs });
      return {
        ...series,
        from: iso(series.from),
        to: iso(series.to),
        stepSeconds: stepMs / 1000,
        points: series.points.map((p) => ({ ...p, t: iso(p.t) })),
      };
    },
  );

  app.get(
    '/kpis/journey',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['measurement'],
        summary: 'Journey KPIs: contacts per customer per channel, time from trigger event to outcome',
        querystring: rangeQuery,
        response: { 200: journeyResponse, ...errors },
      },
    },
    async (request) => {
      return dated(await engine.journey(rangeOf(request.query)));
    },
  );

  app.get(
    '/kpis/feedback',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['measurement'],
        summary: 'NPS and CSAT from survey events, per touchpoint and per action taken before the survey',
        description:
          'Survey events in [from, to) as the catalog declares them (events.surveys). NPS: % promoters (9–10) − % detractors (0–6) with a 95 % normal interval; CSAT: % of 4–5 answers with a Wilson interval.',
        querystring: rangeQuery,
        response: { 200: feedbackResponse, ...errors },
      },
    },
    async (request) => {
      return dated(await engine.feedback(rangeOf(request.query)));
    },
  );

  app.get(
    '/shadow',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['measurement'],
        summary: "Shadow mode: the candidate policy's estimated accept rate beside production's",
        description:
          "First-slot accept rate in [from, to): production's as observed, the shadow policy's by DM, IPS, SNIPS and DR from the probabilities each decision logged (catalog measurement.shadow).",
        querystring: rangeQuery,
        response: { 200: shadowResponse, ...errors },
      },
    },
    async (request) => {
      const range = rangeOf(request.query);
      const r = await engine.shadowReport(range);
      return {
        ...r,
        from: iso(range.from),
        to: iso(range.to),
        logged: {
          estimate: orNull(r.logged.estimate),
          ci: [orNull(r.logged.ci[0]), orNull(r.logged.ci[1])] as [number | null, number | null],
        },
        agreement: orNull(r.agreement),
      };
    },
  );

  app.get(
    '/models',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['measurement'],
        summary:
          'Every action with its propensity model: learner, evidence, success rate, maturity and progressive AUC',
        querystring: rangeQuery,
        response: { 200: modelListResponse, ...errors },
      },
    },
    async (request) => {
      const list = await engine.modelList(request.query);
      return { ...list, from: iso(list.from), to: iso(list.to) };
    },
  );

  app.get(
    '/models/:id/report',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['measurement'],
        summary:
          "One action's model report: progressive AUC, AUC-PR, calibration deciles, predictor importance",
        params: modelParams,
        response: { 200: modelReportResponse, 404: errorSchema, ...errors },
      },
    },
    async (request) => engine.modelReport(request.params.id),
  );
}
