// Wire schemas of customers: profiles, their export and erasure, events and the timeline.
import { z } from 'zod';
import { ARMS } from '../../core/arms.ts';
import { attributes, id, isoTime, record, storedAttributes, triggerRefSchema } from './common.ts';

export const customerBody = z
  .strictObject({
    attributes: attributes.describe(
      'Profile attributes; declared ones are type-checked against the catalog schema.',
    ),
  })
  .meta({ id: 'CustomerRequest' });

export const customerResponse = z
  .object({
    id: z.string(),
    attributes: storedAttributes,
    features: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Derived features now (GET only): what rules see as features.*.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Customer' });

export const customerExportResponse = z
  .object({
    customerId: z.string(),
    exportedAt: z.string(),
    profile: record.nullable(),
    features: record,
    events: z.array(record),
    decisions: z
      .array(record)
      .describe('Each with its candidates, dropped actions and reasons, and outcomes.'),
    interactions: z.array(record).describe('The contact history contact policies read.'),
    outbound: z.array(record),
  })
  .meta({ id: 'CustomerExport' });

export const erasureResponse = z.object({
  id: z.string(),
  erased: z.object({
    customer: z.boolean(),
    decisions: z.number().int(),
    outcomes: z.number().int(),
    interactions: z.number().int(),
    events: z.number().int(),
  }),
});

export const eventSchema = z
  .strictObject({
    customerId: id,
    type: z.string().min(1).max(100).describe('A type declared under events.types in the catalog.'),
    timestamp: z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO 8601 date-time')
      .describe('When it happened, ISO 8601 (may be late: features are exact for out-of-order events).'),
    channel: z.string().min(1).max(100).optional(),
    payload: attributes.default({}).describe("Fields declared for the event's type."),
  })
  .meta({ id: 'Event' });

/** The largest batch one request may carry. */
export const MAX_EVENT_BATCH = 10_000;

export const eventsBody = z.union([
  eventSchema,
  z
    .array(eventSchema)
    .min(1, 'at least one event')
    .max(MAX_EVENT_BATCH, `at most ${MAX_EVENT_BATCH.toLocaleString('en')} events in one request`),
]);

export const eventsResponse = z
  .object({
    accepted: z.number().int().describe('Events stored (all of the request, or none on an error).'),
    seqs: z.array(z.number().int()).describe('Their sequence numbers, in request order.'),
    triggered: z
      .array(
        z.object({
          trigger: z.string(),
          index: z.number().int().describe('The firing event, by its position in the request.'),
          eventSeq: z.number().int(),
          customerId: z.string(),
          decisionId: z.string().optional(),
          actions: z.array(z.string()).optional().describe('Chosen actions (none: policies left nothing).'),
          queued: z.boolean().optional().describe('Whether a message went to the outbound queue.'),
          skipped: z.string().optional().describe('Why the trigger made no decision.'),
        }),
      )
      .describe('Triggers the events fired and the decisions they made.'),
  })
  .meta({ id: 'EventsAck' });

export const timelineQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().max(500).optional().describe('The `next` cursor of the previous page.'),
  kinds: z
    .string()
    .regex(
      /^(event|decision|outcome)(,(event|decision|outcome))*$/,
      'comma-separated: event, decision, outcome',
    )
    .optional()
    .describe('Only these kinds, e.g. event,outcome (default: all).'),
  from: isoTime.optional().describe('Entries from this time (inclusive), ISO 8601.'),
  to: isoTime.optional().describe('Entries before this time (exclusive), ISO 8601.'),
});

export const timelineResponse = z
  .object({
    customerId: z.string(),
    entries: z.array(
      z.discriminatedUnion('kind', [
        z.object({
          kind: z.literal('event'),
          at: z.string(),
          seq: z.number().int(),
          type: z.string(),
          channel: z.string().nullable(),
          payload: z.record(z.string(), z.unknown()),
        }),
        z.object({
          kind: z.literal('decision'),
          at: z.string(),
          decisionId: z.string(),
          channel: z.string(),
          arm: z.enum(ARMS),
          actions: z.array(z.string()),
          trigger: triggerRefSchema().optional(),
        }),
        z.object({
          kind: z.literal('outcome'),
          at: z.string(),
          seq: z.number().int(),
          decisionId: z.string(),
          actionId: z.string(),
          outcome: z.string(),
          value: z.number().nullable(),
          channel: z.string().nullable(),
        }),
      ]),
    ),
    next: z.string().nullable().describe('Cursor of the next (older) page; null on the last page.'),
  })
  .meta({ id: 'Timeline' });
