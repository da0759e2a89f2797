import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Engine } from '../../engine/engine.ts';
import { errorSchema, eventsBody, eventsResponse } from '../schemas.ts';

export async function eventRoutes(parent: FastifyInstance, engine: Engine, bodyLimit: number) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorSchema, 401: errorSchema, 413: errorSchema };

  app.post(
    '/events',
    {
      config: { scope: 'events' },
      bodyLimit,
      schema: {
        tags: ['events'],
        summary:
          'Record customer events (one object or an array): transactions, calls, surveys, device alerts …',
        description:
          'Each event is checked against its declared type; one bad event rejects the whole request and is named (body[3].payload.amount). Acknowledged events are on disk and have updated the derived features. Triggers the events fire decide for their outbound channel and queue the result (GET /v1/outbound).',
        body: eventsBody,
        response: { 200: eventsResponse, ...errors },
      },
    },
    async (request) => {
      const single = !Array.isArray(request.body);
      const list = Array.isArray(request.body) ? request.body : [request.body];
      const { seqs, triggered } = await engine.ingestEvents(
        list.map((e) => ({ ...e, at: Date.parse(e.timestamp) })),
        (i) => (single ? 'body' : `body[${i}]`),
      );
      return { accepted: seqs.length, seqs, triggered };
    },
  );
}
