import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { describeDropped, langOf } from '../../core/reasons.ts';
import type { Customer } from '../../core/types.ts';
import type { Engine } from '../../engine/engine.ts';
import type { TimelineKind } from '../../store/store.ts';
import { actorOf } from '../auth.ts';
import { requestLanguages } from '../lang.ts';
import {
  customerBody,
  customerExportResponse,
  customerParams,
  customerResponse,
  erasureResponse,
  errorSchema,
  timelineQuery,
  timelineResponse,
} from '../schemas.ts';

function view(c: Customer) {
  return {
    id: c.id,
    attributes: c.attributes,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: new Date(c.updatedAt).toISOString(),
  };
}

export async function customerRoutes(parent: FastifyInstance, engine: Engine) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema };

  app.put(
    '/customers/:id',
    {
      config: { scope: 'events' },
      schema: {
        tags: ['customers'],
        summary: 'Create or replace a customer profile',
        params: customerParams,
        body: customerBody,
        response: { 200: customerResponse, 201: customerResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { customer, created } = await engine.putCustomer(
        request.params.id,
        request.body.attributes as Customer['attributes'],
      );
      return reply.code(created ? 201 : 200).send(view(customer));
    },
  );

  app.get(
    '/customers/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['customers'],
        summary: 'A customer profile, with the features derived from their events now',
        params: customerParams,
        response: { 200: customerResponse, ...errors },
      },
    },
    async (request) => ({
      ...view(await engine.getCustomer(request.params.id)),
      features: await engine.customerFeatures(request.params.id),
    }),
  );

  app.get(
    '/customers/:id/timeline',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['customers'],
        summary: "A customer's journey: events, decisions and outcomes across channels, newest first",
        description: 'Paged: pass the `next` cursor as `before` for older entries.',
        params: customerParams,
        querystring: timelineQuery,
        response: { 200: timelineResponse, ...errors },
      },
    },
    async (request) => {
      const { limit, before, kinds, from, to } = request.query;
      const page = await engine.timeline(request.params.id, {
        limit,
        before,
        ...(kinds ? { kinds: kinds.split(',') as TimelineKind[] } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
      });
      const iso = (ms: number) => new Date(ms).toISOString();
      return {
        customerId: request.params.id,
        entries: page.entries.map((e) => {
          if (e.kind !== 'decision') return { ...e, at: iso(e.at) };
          const { trigger, ...rest } = e;
          return trigger
            ? { ...rest, at: iso(e.at), trigger: { ...trigger, eventAt: iso(trigger.eventAt) } }
            : { ...rest, at: iso(e.at) };
        }),
        next: page.next,
      };
    },
  );

  app.get(
    '/customers/:id/export',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['customers'],
        summary: 'GDPR access: everything held about a customer, as one JSON document',
        description:
          'The profile, derived features, events, decisions with their candidates and the reasons actions were dropped, outcomes, the contact history and outbound messages. Times are ISO 8601. After an erasure nothing is held: 404.',
        params: customerParams,
        response: { 200: customerExportResponse, ...errors },
      },
    },
    async (request) => {
      const doc = await engine.exportCustomer(request.params.id, actorOf(request));
      const lang = langOf(requestLanguages(request));
      // Each dropped action's reason as a sentence beside its code, like every other answer.
      const decisions = doc.decisions.map((d) => ({
        ...d,
        dropped: d.dropped.map((x) => describeDropped(x, lang)),
      }));
      return isoTimes({ ...doc, decisions }) as never;
    },
  );

  app.delete(
    '/customers/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['customers'],
        summary:
          'GDPR erasure: the profile, events, features, decisions, outcomes, outbound messages and contact history',
        description:
          'Model statistics are aggregates over many customers and hold no personal data; they are kept.',
        params: customerParams,
        response: { 200: erasureResponse, ...errors },
      },
    },
    async (request) => ({
      id: request.params.id,
      erased: await engine.deleteCustomer(request.params.id, actorOf(request)),
    }),
  );
}

const TIME_KEYS = new Set(['at', 'createdAt', 'updatedAt', 'exportedAt', 'doneAt', 'eventAt']);

/** The export with its epoch-millisecond times as ISO 8601, at any depth. */
function isoTimes(value: unknown, key = ''): unknown {
  if (typeof value === 'number' && TIME_KEYS.has(key)) return new Date(value).toISOString();
  if (Array.isArray(value)) return value.map((v) => isoTimes(v));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isoTimes(v, k)]));
  return value;
}
