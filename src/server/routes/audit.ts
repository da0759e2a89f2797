import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Engine } from '../../engine/engine.ts';
import { auditQuery, auditResponse } from '../schemas.ts';

export async function auditRoutes(parent: FastifyInstance, engine: Engine) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/audit',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['system'],
        summary: 'The audit trail: catalog changes, customer erasures and exports, newest first',
        description: 'Append-only: the database refuses updates and deletes of its rows.',
        querystring: auditQuery,
        response: { 200: auditResponse },
      },
    },
    async (request) => {
      const { limit, before, action, from, to } = request.query;
      const entries = await engine.auditLog({ limit: limit + 1, before, action, from, to });
      const page = entries.slice(0, limit);
      return {
        entries: page.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
        next: entries.length > limit ? page.at(-1)!.seq : null,
      };
    },
  );
}
