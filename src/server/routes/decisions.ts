import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { describeDropped, langOf } from '../../core/reasons.ts';
import type { Engine } from '../../engine/engine.ts';
import type { OutcomeRecord } from '../../store/store.ts';
import { requestLanguages } from '../lang.ts';
import { admitDecide, admitOutcome, type CustomerTokens, Refusal } from '../publishable.ts';
import {
  decideBody,
  decideResponse,
  decisionExplanation,
  decisionParams,
  decisionRecordResponse,
  errorSchema,
  outcomeBody,
  outcomeResponse,
  recentDecisionsQuery,
  recentDecisionsResponse,
} from '../schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

function outcomeView(o: OutcomeRecord) {
  return {
    actionId: o.actionId,
    outcome: o.outcome,
    ...(o.value === undefined ? {} : { value: o.value }),
    at: iso(o.at),
  };
}

export async function decisionRoutes(parent: FastifyInstance, engine: Engine, tokens: CustomerTokens) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 413: errorSchema };

  app.post(
    '/decide',
    {
      config: { scope: ['decide', 'publishable'] },
      schema: {
        tags: ['decisions'],
        summary: 'The next best actions for a customer (or an anonymous visitor) on a channel',
        description:
          "With a publishable key (web pages, apps): only on the key's channels, from its origins, a known customer named by `customerToken`, no explanation.",
        body: decideBody,
        response: { 200: decideResponse, ...errors },
      },
    },
    async (request) => {
      const { customerToken, ...body } = request.body;
      admitDecide(request, body);
      if (customerToken !== undefined) {
        if (body.customerId !== undefined)
          throw new Refusal(400, 'body.customerToken', 'send customerId or customerToken, not both');
        body.customerId = await tokens.customerOf(customerToken);
      }
      return engine.decide({ ...body, languages: requestLanguages(request) });
    },
  );

  app.post(
    '/outcomes',
    {
      config: { scope: ['outcomes', 'publishable'] },
      schema: {
        tags: ['decisions'],
        summary: 'Report what the customer did with a chosen action (idempotent)',
        description:
          "Acknowledged outcomes are on disk before the response. The same (decision, action, outcome) reported again counts once. A publishable key reports impressions, clicks, accepts and rejects of its channels' decisions, without values.",
        body: outcomeBody,
        response: { 200: outcomeResponse, ...errors },
      },
    },
    async (request) => {
      await admitOutcome(
        request,
        request.body,
        async () => (await engine.getDecision(request.body.decisionId)).channel,
      );
      const { outcome, duplicate } = await engine.recordOutcome(request.body);
      return { decisionId: request.body.decisionId, duplicate, outcome: outcomeView(outcome) };
    },
  );

  app.get(
    '/decisions',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['decisions'],
        summary: 'The newest logged decisions, newest first',
        querystring: recentDecisionsQuery,
        response: { 200: recentDecisionsResponse, ...errors },
      },
    },
    async (request) => ({
      decisions: (await engine.recentDecisions(request.query.limit)).map((d) => ({
        decisionId: d.decisionId,
        customerId: d.customerId,
        channel: d.channel,
        at: iso(d.at),
        arm: d.arm,
        actions: d.actions,
        ...(d.trigger ? { trigger: d.trigger.id } : {}),
      })),
    }),
  );

  app.get(
    '/decisions/:id',
    {
      config: { scope: ['decide', 'read'] },
      schema: {
        tags: ['decisions'],
        summary: 'A logged decision with its candidates, choice probabilities and outcomes',
        params: decisionParams,
        response: { 200: decisionRecordResponse, ...errors },
      },
    },
    async (request) => {
      const d = await engine.getDecision(request.params.id);
      return {
        decisionId: d.id,
        customerId: d.customerId,
        channel: d.channel,
        context: d.context,
        at: iso(d.at),
        catalogVersion: d.catalogVersion,
        modelVersion: d.modelVersion,
        arm: d.arm,
        actions: d.chosen,
        candidates: d.candidates,
        dropped: d.dropped.map((x) => describeDropped(x, langOf(requestLanguages(request)))),
        outcomes: d.outcomes.map(outcomeView),
      };
    },
  );

  app.get(
    '/decisions/:id/explain',
    {
      config: { scope: ['decide', 'read'] },
      schema: {
        tags: ['decisions'],
        summary: 'Why each candidate of a decision was chosen, ranked out or dropped',
        description:
          'Dropped candidates name the stage and rule or contact policy; scored ones give propensity, value, context weight, lever and priority as logged, and the features that moved the propensity most (log-odds contributions from the current model).',
        params: decisionParams,
        response: { 200: decisionExplanation, ...errors },
      },
    },
    async (request) => engine.explain(request.params.id, langOf(requestLanguages(request))),
  );
}
