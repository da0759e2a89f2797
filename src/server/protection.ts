// What stands between the internet and the routes: rate limits (per key, per address, and much lower for
// failed authentication), security headers with a Content-Security-Policy the pages pass, and CORS (off unless
// origins are configured or publishable keys name them). Maintained plugins do the work; this file only says how
// they are set.
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { identityOf, type KeyRing } from './auth.ts';
import type { RateLimits, RateWindow } from './config.ts';

export interface ProtectionOptions {
  keys: KeyRing;
  rateLimits: RateLimits | false;
  corsOrigins?: readonly string[] | undefined;
}

type Bucket = 'perKey' | 'perIp' | 'failedAuth';

/** Which bucket a request counts against, and under which name. */
function bucketOf(keys: KeyRing, request: FastifyRequest): { bucket: Bucket; name: string } {
  if (!request.routeOptions.config?.scope) return { bucket: 'perIp', name: `ip:${request.ip}` };
  const id = identityOf(keys, request)?.keyId;
  return id ? { bucket: 'perKey', name: `key:${id}` } : { bucket: 'failedAuth', name: `fail:${request.ip}` };
}

function describeWindow(w: RateWindow): string {
  return `${w.max} requests per ${w.windowSeconds === 1 ? 'second' : `${w.windowSeconds} seconds`}`;
}

export async function registerProtection(app: FastifyInstance, options: ProtectionOptions): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Chart.js and Swagger UI set inline styles.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    // The API is called cross-origin only where CORS allows it; pages are not embedded anywhere.
    crossOriginResourcePolicy: { policy: options.corsOrigins ? 'cross-origin' : 'same-origin' },
    frameguard: { action: 'deny' },
  });
  // The configured origins, and those of the publishable keys that work now (created and revoked at run time).
  const configured = new Set(options.corsOrigins ?? []);
  await app.register(cors, {
    origin: (origin, done) =>
      done(
        null,
        origin !== undefined && (configured.has(origin) || options.keys.publishableOrigins().has(origin)),
      ),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    maxAge: 600,
  });
  const limits = options.rateLimits;
  if (!limits) return;
  // Per process (an in-memory store): with N workers a client gets up to N times the limit in all.
  await app.register(rateLimit, {
    global: true,
    cache: 100_000,
    keyGenerator: (request) => bucketOf(options.keys, request).name,
    max: async (_request, key) => limits[bucketFromName(key)].max,
    timeWindow: async (_request, key) => limits[bucketFromName(key)].windowSeconds * 1000,
    errorResponseBuilder: (request, context) => {
      const { bucket } = bucketOf(options.keys, request);
      const what =
        bucket === 'failedAuth'
          ? 'too many requests with a missing or wrong key from this address'
          : bucket === 'perKey'
            ? 'rate limit of this key'
            : 'rate limit of this address';
      return {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `${what} (${describeWindow(limits[bucket])}) exceeded; retry in ${context.after}`,
        field: bucket === 'perIp' ? undefined : 'headers.authorization',
      };
    },
  });
}

function bucketFromName(name: string): Bucket {
  return name.startsWith('key:') ? 'perKey' : name.startsWith('fail:') ? 'failedAuth' : 'perIp';
}
