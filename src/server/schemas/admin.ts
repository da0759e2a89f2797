// Wire schemas of administration: catalog versions, an action's lever and budget, the audit log.
import { z } from 'zod';
import { budgetSchema, catalogFileSchema, leverSchema } from '../../core/catalogSchema.ts';
import { id, isoTime } from './common.ts';

export const catalogVersionInfo = z.object({
  version: z.number().int(),
  hash: z.string(),
  createdAt: z.string(),
  active: z.boolean(),
});

export const catalogResponse = catalogVersionInfo
  .extend({
    source: z.string().describe('The catalog as submitted (YAML or JSON).'),
    catalog: catalogFileSchema.describe('The validated catalog with defaults filled in.'),
  })
  .meta({ id: 'Catalog' });

export const catalogPutResponse = catalogVersionInfo.extend({
  created: z.boolean().describe('False when the content equals the active version.'),
  actions: z.number().int(),
  warnings: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .describe('What is valid but almost certainly a mistake (the catalog is active anyway).'),
});

export const actionPatchParams = z.strictObject({ id });

export const actionPatchBody = z
  .strictObject({
    lever: leverSchema.optional().describe('Business lever multiplying the priority (1 = neutral).'),
    budget: budgetSchema
      .nullable()
      .optional()
      .describe('How often the action may be chosen per day and in total; null removes the budget.'),
  })
  .refine((b) => b.lever !== undefined || b.budget !== undefined, 'give lever and/or budget');

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().positive().optional().describe('The `next` of the previous page.'),
  action: z
    .string()
    .max(100)
    .optional()
    .describe('Only this action: catalog.put, catalog.patch, customer.erase, customer.export.'),
  from: isoTime.optional().describe('Entries from this time (inclusive), ISO 8601.'),
  to: isoTime.optional().describe('Entries before this time (exclusive), ISO 8601.'),
});

export const auditResponse = z
  .object({
    entries: z.array(
      z.object({
        seq: z.number().int(),
        at: z.string(),
        keyId: z.string().nullable().describe('Id of the key that made the change (null: the CLI).'),
        requestId: z.string().nullable(),
        action: z.string(),
        target: z.string(),
        summary: z.string().describe('What changed, e.g. a catalog diff summary.'),
      }),
    ),
    next: z.number().int().nullable().describe('Pass as `before` for older entries; null on the last page.'),
  })
  .meta({ id: 'AuditLog' });
