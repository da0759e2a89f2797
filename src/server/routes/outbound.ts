import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Engine } from '../../engine/engine.ts';
import type { OutboundItem } from '../../store/store.ts';
import {
  errorSchema,
  outboundAckBody,
  outboundParams,
  outboundQuery,
  outboundReleaseBody,
  outboundResponse,
  outboundSettled,
  outboundStatsResponse,
} from '../schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();

function view(item: OutboundItem) {
  return {
    id: item.id,
    claimToken: item.claimToken,
    leaseUntil: iso(item.leaseUntil),
    attempts: item.attempts,
    lastError: item.lastError,
    decisionId: item.decisionId,
    customerId: item.customerId,
    channel: item.channel,
    trigger: { ...item.trigger, eventAt: iso(item.trigger.eventAt) },
    actions: item.actions,
    createdAt: iso(item.createdAt),
  };
}

/** The outbound queue of triggered decisions: claim with a lease, then acknowledge or release. */
export async function outboundRoutes(parent: FastifyInstance, engine: Engine) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 409: errorSchema };

  app.get(
    '/outbound',
    {
      config: { scope: 'outbound' },
      schema: {
        tags: ['outbound'],
        summary: 'Claim due messages of an outbound channel (triggered decisions)',
        description:
          'Claims up to `limit` messages for `leaseSeconds`: nobody else gets them meanwhile. Acknowledge each with POST /v1/outbound/{id}/ack once sent; a message neither acknowledged nor released is offered again when its lease runs out, and given up after 10 claims.',
        querystring: outboundQuery,
        response: { 200: outboundResponse, ...errors },
      },
    },
    async (request, reply) => {
      // A claim changes state: no cache may answer it again.
      reply.header('cache-control', 'no-store');
      const { channel, limit, leaseSeconds } = request.query;
      const items = await engine.claimOutbound(channel, limit, leaseSeconds * 1000);
      return { items: items.map(view) };
    },
  );

  app.post(
    '/outbound/:id/ack',
    {
      config: { scope: 'outbound' },
      schema: {
        tags: ['outbound'],
        summary: 'Acknowledge a claimed message: it was delivered',
        params: outboundParams,
        body: outboundAckBody,
        response: { 200: outboundSettled, ...errors },
      },
    },
    async (request) => {
      await engine.settleOutbound(request.params.id, request.body.claimToken);
      return { id: request.params.id, status: 'done' as const };
    },
  );

  app.post(
    '/outbound/:id/release',
    {
      config: { scope: 'outbound' },
      schema: {
        tags: ['outbound'],
        summary: 'Give a claimed message back: delivery failed, offer it again later',
        params: outboundParams,
        body: outboundReleaseBody,
        response: { 200: outboundSettled, ...errors },
      },
    },
    async (request) => {
      const { claimToken, retryInSeconds, error } = request.body;
      await engine.settleOutbound(request.params.id, claimToken, { retryInMs: retryInSeconds * 1000, error });
      return { id: request.params.id, status: 'pending' as const };
    },
  );

  app.get(
    '/outbound/stats',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['outbound'],
        summary: 'Outbound messages per channel and status',
        response: { 200: outboundStatsResponse, 401: errorSchema, 403: errorSchema },
      },
    },
    async () => {
      const byChannel = new Map<
        string,
        { channel: string; pending: number; claimed: number; done: number; failed: number }
      >();
      for (const row of await engine.outboundCounts()) {
        const entry = byChannel.get(row.channel) ?? {
          channel: row.channel,
          pending: 0,
          claimed: 0,
          done: 0,
          failed: 0,
        };
        entry[row.status] = row.count;
        byChannel.set(row.channel, entry);
      }
      return { channels: [...byChannel.values()] };
    },
  );
}
