// The HTTP API (Fastify): versioned routes under /v1, zod request schemas, an OpenAPI document and /docs.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { CatalogError } from '../core/catalog.ts';
import { type Engine, EngineError } from '../engine/engine.ts';
import { type KeyRing, type Role, roleOf } from './auth.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { customerRoutes } from './routes/customers.ts';
import { decisionRoutes } from './routes/decisions.ts';
import { eventRoutes } from './routes/events.ts';
import { measureRoutes } from './routes/measure.ts';
import { outboundRoutes } from './routes/outbound.ts';

export interface ServerOptions {
  keys: KeyRing;
  /** Largest accepted request body in bytes (catalog uploads get 16 times this). */
  bodyLimit?: number;
  logger?: boolean;
  /** Where the built dashboard is (web/dist); the pages then live at / and /agent. */
  webRoot?: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a route needs; absent means public. */
    role?: Role;
  }
}

function errorBody(statusCode: number, message: string, extra: Record<string, unknown> = {}) {
  const names: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    503: 'Service Unavailable',
  };
  return { statusCode, error: names[statusCode] ?? 'Error', message, ...extra };
}

function sendError(
  reply: FastifyReply,
  statusCode: number,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return reply.code(statusCode).send(errorBody(statusCode, message, extra));
}

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

/** Of a union's branches, the first issue of the branch whose issue lies deepest in the input. */
function deepestIssue(branches: ZodIssueLike[][]): ZodIssueLike | undefined {
  let best: ZodIssueLike | undefined;
  for (const issues of branches) {
    const first = issues[0];
    if (first && (!best || first.path.length > best.path.length)) best = first;
  }
  return best;
}

function jsonPointerToPath(context: string, pointer: string): string {
  const parts = pointer.split('/').filter((p) => p !== '');
  let out = context;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : `.${p}`;
  return out;
}

export async function buildServer(engine: Engine, options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    // Clients may pass JSON with a BOM or prototype keys; reject prototype poisoning outright.
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'nextbest API',
        description:
          'Real-time next-best-action decisions, outcomes, customers and the action catalog. ' +
          'Send `Authorization: Bearer <key>`: the API key for decisions and outcomes, the admin key for everything.',
        version: '1',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/plain'],
    { parseAs: 'string', bodyLimit: (options.bodyLimit ?? 256 * 1024) * 16 },
    (_req, body, done) => done(null, body),
  );

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const needed = request.routeOptions.config?.role;
    if (!needed) return;
    const role = roleOf(options.keys, request.headers.authorization);
    if (!role) {
      return sendError(
        reply,
        401,
        request.headers.authorization
          ? 'headers.authorization: wrong API key'
          : 'headers.authorization: missing (send Bearer <key>)',
        { field: 'headers.authorization' },
      );
    }
    if (needed === 'admin' && role !== 'admin') {
      return sendError(reply, 403, 'this route needs the admin key', { field: 'headers.authorization' });
    }
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const context = (error as FastifyError & { validationContext?: string }).validationContext ?? 'body';
      const issues = error.validation.map((v) => {
        const params = v.params as { keys?: string[]; errors?: ZodIssueLike[][] };
        // A union (one event or an array of them): report the branch that got furthest into the input.
        if (v.keyword === 'invalid_union' && params.errors && params.errors.length > 0) {
          const best = deepestIssue(params.errors);
          if (best) {
            const base = v.instancePath === '/' ? [] : v.instancePath.split('/').filter((p) => p !== '');
            const path = [...base, ...best.path.map(String)];
            const field = jsonPointerToPath(context, `/${path.join('/')}`);
            if (best.code === 'unrecognized_keys' && best.keys?.[0])
              return {
                field: `${field}.${best.keys[0]}`,
                message: `unknown field '${best.keys.join("', '")}'`,
              };
            return { field, message: best.message };
          }
        }
        const field = jsonPointerToPath(context, v.instancePath);
        if (v.keyword === 'unrecognized_keys' && params.keys?.[0]) {
          return {
            field: `${field}.${params.keys[0]}`,
            message: `unknown field '${params.keys.join("', '")}'`,
          };
        }
        return { field, message: v.message };
      });
      const first = issues[0]!;
      return sendError(reply, 400, `${first.field}: ${first.message}`, { field: first.field, issues });
    }
    if (error instanceof EngineError) {
      const status = { invalid: 400, not_found: 404, conflict: 409, unavailable: 503 }[error.code];
      return sendError(reply, status, error.message, error.field ? { field: error.field } : {});
    }
    if (error instanceof CatalogError) {
      const issues = error.issues.map((i) => ({
        field: i.path ? `catalog.${i.path}` : 'catalog',
        message: i.message,
      }));
      return sendError(reply, 400, `invalid catalog: ${error.message.split('\n')[0]}`, {
        field: issues[0]?.field,
        issues,
      });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, `body: malformed JSON (${error.message})`, { field: 'body' });
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendError(
          reply,
          413,
          `body: larger than the limit of ${request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit} bytes`,
          {
            field: 'body',
          },
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendError(reply, 415, `headers.content-type: ${error.message}`, {
          field: 'headers.content-type',
        });
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, error.message);
    }
    request.log.error(error);
    return reply
      .code(500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  });

  const started = Date.now();
  const health = {
    schema: { tags: ['system'], summary: 'Liveness and versions (no key needed)', security: [] },
  };
  const healthHandler = async () => ({
    status: 'ok' as const,
    catalogVersion: engine.activeCatalog.stored.version,
    modelVersion: engine.modelVersion,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  });
  app.get('/health', health, healthHandler);
  app.get('/v1/health', health, healthHandler);

  await app.register(
    async (v1) => {
      await decisionRoutes(v1, engine);
      await customerRoutes(v1, engine);
      await eventRoutes(v1, engine, (options.bodyLimit ?? 256 * 1024) * 16);
      await outboundRoutes(v1, engine);
      await catalogRoutes(v1, engine, (options.bodyLimit ?? 256 * 1024) * 16);
      await measureRoutes(v1, engine, () => engine.now());
    },
    { prefix: '/v1' },
  );
  await webRoutes(app, options.webRoot);
  return app;
}

/**
 * The dashboard (`/`) and the agent page (`/agent`): static files Vite built into `webRoot`. They use only the
 * public API, with the key the user enters. Without a build, both pages say how to make one.
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
}
