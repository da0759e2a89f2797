import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Engine } from '../../engine/engine.ts';
import { kpiRange, LIFT_METHOD } from '../../measure/kpis.ts';
import {
  errorSchema,
  kpiQuery,
  kpiResponse,
  modelListResponse,
  modelParams,
  modelReportResponse,
} from '../schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export async function measureRoutes(parent: FastifyInstance, engine: Engine, clock: () => number) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema };

  app.get(
    '/kpis',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['measurement'],
        summary: 'KPIs per action, group, issue, channel, arm and/or day, with the lift over the control arm',
        description: `Counts are per chosen action (offer) in [from, to). ${LIFT_METHOD}`,
        querystring: kpiQuery,
        response: { 200: kpiResponse, ...errors },
      },
    },
    async (request) => {
      const range = kpiRange(request.query.from, request.query.to, clock());
      const report = await engine.kpis({ ...range, by: request.query.by });
      return { ...report, from: iso(report.from), to: iso(report.to) };
    },
  );

  app.get(
    '/models',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['measurement'],
        summary: 'Every action with its propensity model: learner, evidence, success rate and maturity',
        response: { 200: modelListResponse, ...errors },
      },
    },
    async () => ({ models: engine.modelReports() }),
  );

  app.get(
    '/models/:id/report',
    {
      config: { role: 'admin' },
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
