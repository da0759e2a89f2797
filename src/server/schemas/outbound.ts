// Wire schemas of the outbound queue: claims, acknowledgements, releases and counts.
import { z } from 'zod';
import { triggerRef } from './common.ts';

export const outboundQuery = z.strictObject({
  channel: z.string().min(1).max(100).describe('The outbound channel to claim messages of.'),
  limit: z.coerce.number().int().min(1).max(500).default(10),
  leaseSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(60)
    .describe('How long the claim holds; unacknowledged messages are offered again after it.'),
});

export const outboundItem = z
  .object({
    id: z.number().int(),
    claimToken: z.string().describe('Send it back to acknowledge or release the message.'),
    leaseUntil: z.string(),
    attempts: z.number().int().describe('How often the message has been claimed, this claim included.'),
    lastError: z.string().nullable(),
    decisionId: z.string().describe('Record the customer answer with POST /v1/outcomes and this id.'),
    customerId: z.string(),
    channel: z.string(),
    trigger: triggerRef,
    actions: z.array(
      z.object({
        actionId: z.string(),
        name: z.string(),
        issue: z.string(),
        group: z.string(),
        rank: z.number().int(),
        treatment: z.record(z.string(), z.unknown()),
      }),
    ),
    createdAt: z.string(),
  })
  .meta({ id: 'OutboundMessage' });

export const outboundResponse = z.object({ items: z.array(outboundItem) });

export const outboundParams = z.strictObject({ id: z.coerce.number().int().positive() });

export const outboundAckBody = z.strictObject({ claimToken: z.string().min(1) });

export const outboundReleaseBody = z.strictObject({
  claimToken: z.string().min(1),
  retryInSeconds: z.number().int().min(0).max(86_400).default(60),
  error: z.string().max(2000).default('released by the consumer'),
});

export const outboundSettled = z.object({
  id: z.number().int(),
  status: z.enum(['done', 'pending']).describe('done: acknowledged; pending: offered again later.'),
});

export const outboundStatsResponse = z.object({
  channels: z.array(
    z.object({
      channel: z.string(),
      pending: z.number().int(),
      claimed: z.number().int(),
      done: z.number().int(),
      failed: z.number().int(),
    }),
  ),
});
