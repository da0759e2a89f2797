// Wire schemas shared by the API's routes: ids, times, free-form data within limits, amounts, errors, health.
import { z } from 'zod';
import { DATA_LIMITS, dataLimitIssue, ID_MAX_LENGTH } from '../../core/limits.ts';
import type { Attributes } from '../../core/types.ts';
import { ERROR_CODE_NAMES, errorCodeTable } from '../errorCodes.ts';

export const id = z.string().min(1).max(ID_MAX_LENGTH);

export const isoTime = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO 8601 date or date-time')
  .transform((v) => Date.parse(v));
/**
 * Free-form data from clients (contexts, profile attributes, event payloads), within DATA_LIMITS. Checked
 * iteratively: a recursive JSON schema would overflow the stack on hostile nesting before it could say why.
 */
export const attributes = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const issue = dataLimitIssue(value);
    if (issue) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .describe(
    `JSON object; at most ${DATA_LIMITS.depth} levels deep, ${DATA_LIMITS.listItems} items per list, ` +
      `${DATA_LIMITS.objectKeys} keys per object, ${DATA_LIMITS.stringLength} characters per string, numbers finite and at most ${DATA_LIMITS.maxNumber} in magnitude.`,
  ) as unknown as z.ZodType<Attributes>;
/** Stored free-form data in answers. */
export const storedAttributes = z.record(z.string(), z.unknown());
/** Amounts clients send (values of outcomes): finite and bounded, so that sums of many stay finite. */
export const amount = z.number().min(-DATA_LIMITS.maxNumber).max(DATA_LIMITS.maxNumber);

export const errorSchema = z
  .object({
    statusCode: z.number().int(),
    code: z
      .enum(ERROR_CODE_NAMES)
      .describe('Stable error code: branch on it, not on the message (the table in the description).'),
    error: z.string(),
    message: z.string(),
    field: z.string().optional(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({
    id: 'Error',
    description: `Every answer that is not a success has this shape.\n\n${errorCodeTable()}`,
    example: {
      statusCode: 400,
      code: 'NB_ERR_VALIDATION',
      error: 'Bad Request',
      message: 'body.channel: Invalid input',
      field: 'body.channel',
      issues: [{ field: 'body.channel', message: 'Invalid input' }],
    },
  });

export const healthResponse = z
  .object({
    status: z.enum(['ok', 'degraded']),
    reason: z.string().optional().describe('Why the server is degraded.'),
    since: z.string().optional().describe('When degraded mode began, ISO 8601.'),
    catalogVersion: z.number().int(),
    modelVersion: z.string(),
    uptimeSeconds: z.number().int(),
  })
  .meta({ id: 'Health' });

/** Free-form stored data in answers that are documents (exports). */
export const record = z.record(z.string(), z.unknown());

/** Which trigger made a decision, and the event that fired it. */
export function triggerRefSchema() {
  return z.object({
    id: z.string(),
    eventSeq: z.number().int(),
    eventType: z.string(),
    eventAt: z.string().describe('When the firing event happened.'),
  });
}
export const triggerRef = triggerRefSchema();
