// The HTTP API (Fastify): versioned routes under /v1, zod request schemas, an OpenAPI document and /docs.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Engine } from '../engine/engine.ts';
import { allows, identityOf, type Scope } from './auth.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './config.ts';
import { declareErrors, errorHandler, sendError } from './errors.ts';
import type { ApiKeys } from './keys.ts';
import { addExamples } from './openapi/examples.ts';
import { registerProtection } from './protection.ts';
import { CustomerTokens } from './publishable.ts';
import { auditRoutes } from './routes/audit.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { customerRoutes } from './routes/customers.ts';
import { decisionRoutes } from './routes/decisions.ts';
import { eventRoutes } from './routes/events.ts';
import { keyRoutes } from './routes/keys.ts';
import { measureRoutes } from './routes/measure.ts';
import { outboundRoutes } from './routes/outbound.ts';
import { healthResponse } from './schemas.ts';

export interface ServerOptions {
  /** The keys in force; the server refreshes the managed ones every `keyRefreshMs` while it runs. */
  keys: ApiKeys;
  keyRefreshMs?: number;
  /** Rate limits (default DEFAULT_RATE_LIMITS); false switches them off. */
  rateLimits?: RateLimits | false;
  /** Origins allowed to call the API from a browser (CORS); none by default. */
  corsOrigins?: readonly string[];
  /** Largest accepted request body in bytes (catalog uploads get 16 times this). */
  bodyLimit?: number;
  logger?: boolean;
  /** Where the built dashboard is (web/dist); the pages then live at / and /agent. */
  webRoot?: string;
  /** Verifies the customer tokens sites sign for publishable keys (none: such tokens are refused). */
  customerTokenSecret?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scopes of which a route needs one (`admin` has them all); absent means public. */
    scope?: Scope | readonly Scope[];
  }
}

export async function buildServer(engine: Engine, options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    // Clients may pass JSON with a BOM or prototype keys; reject prototype poisoning outright.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    // Ids are limited by the schemas (ID_MAX_LENGTH, with a 400 naming the field); the router must not cut
    // them first with a 414 or 404 (percent-encoding makes a 200-character id up to 2,400 characters long).
    routerOptions: { maxParamLength: 16 * 1024 },
    // A caller's X-Request-Id (if it is a sane token) is kept, so logs and the audit trail join up across
    // systems; otherwise every request gets a UUID. Either way it is sent back in X-Request-Id.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.decorateRequest('keyId', null);
  app.decorateRequest('publishable', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Before swagger's own onRoute hook, so the document sees every status a route can answer.
  app.addHook('onRoute', declareErrors);

  options.keys.follow(options.keyRefreshMs);
  app.addHook('onClose', async () => options.keys.close());
  const ring = options.keys.ring;
  await registerProtection(app, {
    keys: ring,
    rateLimits: options.rateLimits ?? DEFAULT_RATE_LIMITS,
    corsOrigins: options.corsOrigins,
  });

  // The key check is a route hook placed after the rate limit's own (the plugin adds its check per route),
  // so that requests with a wrong key are counted and limited too.
  const checkKey = async (request: FastifyRequest, reply: FastifyReply) => {
    const scope = request.routeOptions.config?.scope;
    if (!scope) return;
    const identity = identityOf(ring, request);
    if (!identity) {
      return sendError(
        reply,
        401,
        request.headers.authorization
          ? 'headers.authorization: wrong API key'
          : 'headers.authorization: missing (send Bearer <key>)',
        {
          code: request.headers.authorization ? 'NB_ERR_KEY_INVALID' : 'NB_ERR_KEY_MISSING',
          field: 'headers.authorization',
        },
      );
    }
    const needed: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
    if (!allows(identity, needed)) {
      return sendError(
        reply,
        403,
        `this route needs a key with scope ${needed.map((s) => `'${s}'`).join(' or ')} or 'admin' (key ${identity.keyId} has ${[...identity.scopes].join(', ') || 'none'})`,
        { field: 'headers.authorization' },
      );
    }
    request.keyId = identity.keyId;
    request.publishable = identity.publishable ?? null;
  };
  app.addHook('onRoute', (route) => {
    const existing = route.onRequest;
    route.onRequest = [...(existing ? (Array.isArray(existing) ? existing : [existing]) : []), checkKey];
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'nextbest API',
        description:
          'Real-time next-best-action decisions, outcomes, customers and the action catalog. ' +
          'Send `Authorization: Bearer <key>`. Keys have scopes (decide, outcomes, events, outbound, read, admin); ' +
          'each operation says which it needs, and `admin` may do everything. Manage keys with `nextbest keys` or /v1/keys.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    // Fills components.schemas with every schema that has a meta id, so the document's $refs resolve, then
    // gives every body an example (openapi/examples.ts).
    transformObject: (input) => addExamples(jsonSchemaTransformObject(input)),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string', bodyLimit: (options.bodyLimit ?? 256 * 1024) * 16 },
    (_req, body, done) => done(null, body),
  );

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`, {
      code: 'NB_ERR_NO_ROUTE',
    }),
  );

  app.setErrorHandler(errorHandler(app));

  const started = Date.now();
  const health = {
    schema: {
      tags: ['system'],
      summary: 'Liveness, versions and whether the store can serve (no key needed)',
      description:
        'Always 200 while the process runs; `status` is `degraded` (with the reason) while the store cannot serve.',
      security: [],
      response: { 200: healthResponse },
    },
  };
  const healthBody = () => {
    const state = engine.health.status;
    return {
      ...(state.status === 'degraded'
        ? { status: 'degraded' as const, reason: state.reason, since: new Date(state.since).toISOString() }
        : { status: 'ok' as const }),
      catalogVersion: engine.activeCatalog.stored.version,
      modelVersion: engine.modelVersion,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    };
  };
  app.get('/health', health, async () => healthBody());
  app.get('/v1/health', health, async () => healthBody());
  app.get(
    '/v1/ready',
    {
      schema: {
        tags: ['system'],
        summary: 'Readiness: 200 when the store can serve, 503 while degraded (for load balancers)',
        security: [],
        response: { 200: healthResponse, 503: healthResponse },
      },
    },
    async (_request, reply) => {
      const body = healthBody();
      if (body.status === 'degraded') reply.header('retry-after', '5');
      return reply.code(body.status === 'ok' ? 200 : 503).send(body);
    },
  );

  await app.register(
    async (v1) => {
      await decisionRoutes(v1, engine, new CustomerTokens(options.customerTokenSecret));
      await customerRoutes(v1, engine);
      await eventRoutes(v1, engine, (options.bodyLimit ?? 256 * 1024) * 16);
      await outboundRoutes(v1, engine);
      await catalogRoutes(v1, engine, (options.bodyLimit ?? 256 * 1024) * 16);
      await measureRoutes(v1, engine, () => engine.now());
      await auditRoutes(v1, engine);
      await keyRoutes(v1, options.keys, engine);
    },
    { prefix: '/v1' },
  );
  await webRoutes(app, options.webRoot);
  return app;
}

/**
 * The dashboard (`/`), the agent page (`/agent`) and the browser snippet (`/snippet.js`): static files Vite built
 * into `webRoot`. They use only the public API, the pages with the key the user enters. Without a build, both pages
 * say how to make one.
 */
async function webRoutes(app: FastifyInstance, webRoot: string | undefined) {
  const built = webRoot !== undefined && existsSync(join(webRoot, 'index.html'));
  if (!built) {
    const page = `<!doctype html><meta charset="utf-8"><title>nextbest</title>
<p>The dashboard is not built. Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it) and reload.
The API is at <a href="/docs">/docs</a>.</p>`;
    const notBuilt = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.type('text/html').send(page);
    app.get('/', { schema: { hide: true } }, notBuilt);
    app.get('/agent', { schema: { hide: true } }, notBuilt);
    return;
  }
  await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], wildcard: true });
  app.get('/agent', { schema: { hide: true } }, (_request, reply) => reply.sendFile('agent.html'));
  // The browser snippet is loaded by other sites' pages (a script tag is a no-cors request: it needs this CORP).
  app.get('/snippet.js', { schema: { hide: true } }, (_request, reply) =>
    reply
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('cache-control', 'public, max-age=300')
      .sendFile('snippet.js'),
  );
}
