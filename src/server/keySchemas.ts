// Wire schemas of managed API keys (/v1/keys).
import { z } from 'zod';
import { SCOPE_DESCRIPTIONS, SCOPES } from './auth.ts';
import { originString } from './config.ts';
import { MAX_GRACE_SECONDS } from './keys.ts';
import { isoTime } from './schemas.ts';

const scopes = z
  .array(z.enum(SCOPES))
  .min(1)
  .max(SCOPES.length)
  .describe(`What the key may do: ${SCOPES.map((s) => `\`${s}\` (${SCOPE_DESCRIPTIONS[s]})`).join('; ')}.`);

const channelId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[^,\s]+$/, 'a channel id (no commas or spaces)');

const label = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .describe('What the key is for, e.g. "web shop" or "CRM feed".');

export const createKeyBody = z
  .strictObject({
    label,
    scopes,
    expiresAt: isoTime
      .optional()
      .describe('When the key stops working by itself, ISO 8601 (default: never).'),
    origins: z
      .array(originString)
      .min(1)
      .max(50)
      .optional()
      .describe('A publishable key only (and then needed): the web origins that may use it.'),
    channels: z
      .array(channelId)
      .min(1)
      .max(50)
      .optional()
      .describe("A publishable key only (and then needed): the catalog's inbound channels it decides on."),
  })
  .meta({ id: 'CreateKeyRequest' });

export const rotateKeyBody = z
  .strictObject({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_GRACE_SECONDS)
      .default(0)
      .describe('How long the old key keeps working, so that callers can switch (default 0: it stops now).'),
  })
  .meta({ id: 'RotateKeyRequest' });

export const keyIdParams = z.strictObject({ id: z.string().regex(/^[0-9a-f]{16}$/, '16 hex digits') });

const time = z.string().nullable();

export const keyInfo = z
  .object({
    id: z.string().describe('Stable id (the first 8 bytes of the key digest, hex); the audit trail uses it.'),
    label: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    source: z
      .enum(['database', 'environment', 'config file', 'this run'])
      .describe('Only keys in the database can be revoked or rotated here.'),
    active: z.boolean().describe('Whether the key works now.'),
    createdAt: time,
    expiresAt: time,
    revokedAt: time.describe('When the key stopped (or, in a rotation grace period, stops) working.'),
    replacedBy: z.string().nullable(),
    origins: z.array(z.string()).optional().describe("A publishable key's origins."),
    channels: z.array(z.string()).optional().describe("A publishable key's channels."),
  })
  .meta({ id: 'ApiKey' });

export const keyList = z.object({ keys: z.array(keyInfo) }).meta({ id: 'ApiKeyList' });

export const newKey = keyInfo
  .extend({
    key: z.string().describe('The key itself: shown this once, stored only as a digest.'),
    replaced: keyInfo.optional().describe('For a rotation: the old key, with when it stops working.'),
  })
  .meta({ id: 'NewApiKey' });
