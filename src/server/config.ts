// The server's config file (`--config`, JSON): keys, rate limits and CORS, validated before anything is loaded
// so that a mistake is one line naming the field.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { RetentionOptions } from '../engine/retention.ts';

/** One minimum for every source of keys (environment, config file, admin routes). */
export const MIN_KEY_LENGTH = 16;

export const keyString = z
  .string()
  .min(MIN_KEY_LENGTH, `at least ${MIN_KEY_LENGTH} characters`)
  .max(512)
  .regex(/^\S+$/, 'no spaces');

const window = z.strictObject({
  max: z.number().int().positive().describe('Requests allowed per window.'),
  windowSeconds: z.number().positive().max(86_400),
});

export const rateLimitsSchema = z.strictObject({
  /** Requests with a valid key, per key. */
  perKey: window.optional(),
  /** Requests to public routes (health, docs, pages), per client address. */
  perIp: window.optional(),
  /** Requests with a missing or wrong key, per client address: much lower, against key guessing. */
  failedAuth: window.optional(),
});
export type RateLimitsConfig = z.infer<typeof rateLimitsSchema>;
export interface RateWindow {
  max: number;
  windowSeconds: number;
}
export type RateLimits = Record<keyof RateLimitsConfig, RateWindow>;

export const DEFAULT_RATE_LIMITS: RateLimits = {
  perKey: { max: 1000, windowSeconds: 1 },
  perIp: { max: 200, windowSeconds: 1 },
  failedAuth: { max: 20, windowSeconds: 60 },
};

/** A browser origin: scheme, host and port, no path. */
export const originString = z
  .string()
  .max(300)
  .regex(/^https?:\/\/[^/\s,]+$/, 'an origin such as https://shop.example.com');

/** The secret that signs customer tokens (HS256): long enough to resist guessing. */
export const tokenSecret = z.string().min(32, 'at least 32 characters').max(512);

const configSchema = z.strictObject({
  apiKey: keyString.optional(),
  adminKey: keyString.optional(),
  rateLimits: z.union([z.literal(false), rateLimitsSchema]).optional(),
  customerTokenSecret: tokenSecret
    .optional()
    .describe(
      'Verifies the customer tokens that sites sign for publishable keys (or NEXTBEST_CUSTOMER_TOKEN_SECRET).',
    ),
  retention: z
    .strictObject({
      decisionsDays: z
        .number()
        .positive()
        .max(36_500)
        .describe('Decisions older than this many days (fractions allowed) are deleted with their outcomes.'),
      sweepMinutes: z.number().positive().max(1440).optional().describe('How often the sweep runs (10).'),
    })
    .optional(),
  cors: z
    .strictObject({
      origins: z.array(originString).min(1),
    })
    .optional(),
});
export type ServerConfig = z.infer<typeof configSchema>;

/** The engine's retention options from the config file's `retention`, if any. */
export function retentionOf(config: ServerConfig): RetentionOptions | undefined {
  const r = config.retention;
  if (!r) return undefined;
  return { decisionsDays: r.decisionsDays, ...(r.sweepMinutes ? { sweepMs: r.sweepMinutes * 60_000 } : {}) };
}

/** The rate limits in force: the config file's (each window defaulted), off with `false`. */
export function rateLimitsOf(config: ServerConfig): RateLimits | false {
  if (config.rateLimits === false) return false;
  return { ...DEFAULT_RATE_LIMITS, ...config.rateLimits };
}

/**
 * Reads the config file if it exists (a missing default file is no config). Throws one line naming the file and
 * the field. NEXTBEST_RATE_LIMITS=off switches rate limits off (benchmarks, load tests).
 */
export function readServerConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ServerConfig {
  let config: ServerConfig = {};
  if (path && existsSync(path)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
    }
    const parsed = configSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const keys = (issue as { keys?: string[] }).keys;
      const field = [...issue.path, ...(keys ? [keys[0]] : [])].join('.');
      throw new Error(`${path}: ${field ? `${field}: ` : ''}${keys ? 'unknown field' : issue.message}`);
    }
    config = parsed.data;
  }
  const secret = env.NEXTBEST_CUSTOMER_TOKEN_SECRET;
  if (secret !== undefined && secret !== '') {
    const checked = tokenSecret.safeParse(secret);
    if (!checked.success)
      throw new Error(`NEXTBEST_CUSTOMER_TOKEN_SECRET: ${checked.error.issues[0]?.message}`);
    config = { ...config, customerTokenSecret: secret };
  }
  const flag = env.NEXTBEST_RATE_LIMITS;
  if (flag !== undefined && flag !== '') {
    if (flag !== 'off' && flag !== 'on')
      throw new Error(`NEXTBEST_RATE_LIMITS: 'on' or 'off', not '${flag}'`);
    if (flag === 'off') config = { ...config, rateLimits: false };
  }
  return config;
}
