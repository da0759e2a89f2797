// One error shape for every answer that is not a success, the error handler that maps every failure to it,
// and the statuses each route declares in the OpenAPI document.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { CatalogError } from '../core/catalogSchema.ts';
import { EngineError } from '../engine/engine.ts';
import { StoreUnavailableError } from '../store/unavailable.ts';
import { codeForStatus, type ErrorCode } from './errorCodes.ts';
import { Refusal } from './publishable.ts';
import { errorSchema } from './schemas.ts';

/** What a 503 asks clients to wait: about the degraded-mode probe interval and then some. */
const RETRY_AFTER_SECONDS = 5;

/** What an error body may carry beside its status and message; `code` defaults to its status's general code. */
export interface ErrorExtra {
  code?: ErrorCode;
  field?: string;
  issues?: Array<{ field: string; message: string }>;
}

export function errorBody(statusCode: number, message: string, extra: ErrorExtra = {}) {
  const names: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  };
  const { code = codeForStatus(statusCode), ...rest } = extra;
  return { statusCode, code, error: names[statusCode] ?? 'Error', message, ...rest };
}

export function sendError(reply: FastifyReply, statusCode: number, message: string, extra: ErrorExtra = {}) {
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
    // Deeper wins; at the same depth, a branch of the input's own type (an array too long rather than "expected
    // an object") says more.
    if (
      first &&
      (!best ||
        first.path.length > best.path.length ||
        (first.path.length === best.path.length &&
          best.code === 'invalid_type' &&
          first.code !== 'invalid_type'))
    )
      best = first;
  }
  return best;
}

function jsonPointerToPath(context: string, pointer: string): string {
  const parts = pointer.split('/').filter((p) => p !== '');
  let out = context;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : `.${p}`;
  return out;
}

/** Maps every failure to the error shape: client mistakes to a 4xx naming the field, never a 500 for them. */
export function errorHandler(app: FastifyInstance) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
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
        return { field, message: v.message ?? 'invalid' };
      });
      const first = issues[0]!;
      return sendError(reply, 400, `${first.field}: ${first.message}`, { field: first.field, issues });
    }
    if (error instanceof StoreUnavailableError) {
      // Nothing was acknowledged: the client may send it again once the store is back.
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendError(reply, 503, `${error.message}; nothing was stored, retry later`);
    }
    if (error instanceof Refusal) {
      return sendError(reply, error.status, error.message, {
        field: error.field,
        ...(error.code ? { code: error.code } : {}),
      });
    }
    if (error instanceof EngineError) {
      if (error.code === 'unavailable') reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      const status = { invalid: 400, not_found: 404, conflict: 409, unavailable: 503 }[error.code];
      return sendError(reply, status, error.message, error.field ? { field: error.field } : {});
    }
    if (error instanceof CatalogError) {
      const issues = error.issues.map((i) => ({
        field: i.path ? `catalog.${i.path}` : 'catalog',
        message: i.message,
      }));
      return sendError(reply, 400, `invalid catalog: ${error.message.split('\n')[0]}`, {
        code: 'NB_ERR_INVALID_CATALOG',
        field: issues[0]?.field ?? 'catalog',
        issues,
      });
    }
    switch (error.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendError(reply, 400, `body: malformed JSON (${error.message})`, {
          code: 'NB_ERR_MALFORMED_JSON',
          field: 'body',
        });
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
    if (error.statusCode === 429) {
      const field = (error as { field?: string }).field;
      return sendError(reply, 429, error.message, field ? { field } : {});
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendError(reply, error.statusCode, error.message);
    }
    request.log.error(error);
    return sendError(reply, 500, `internal error (request ${request.id})`);
  };
}

/**
 * Adds the error statuses a route can answer to its schema, so the document declares every one: 400 for
 * anything it validates, 401/403 where a key is needed (and the scope it needs in the description), 404 for unknown resources, 409 for writes that conflict,
 * 413/415 for bodies, 429 for rate limits, 503 when the store cannot serve. Runs as an onRoute hook.
 */
export function declareErrors(route: RouteOptions) {
  const schema = route.schema as
    | {
        hide?: boolean;
        body?: unknown;
        querystring?: unknown;
        params?: unknown;
        response?: Record<string, unknown>;
        description?: string;
      }
    | undefined;
  if (!schema || schema.hide) return;
  const scope = (route.config as { scope?: string | readonly string[] } | undefined)?.scope;
  const statuses: number[] = [500, 503];
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (route.url.startsWith('/v1/')) statuses.push(404, 429);
  if (schema.body || schema.querystring || schema.params) statuses.push(400);
  if (scope) {
    statuses.push(401, 403);
    const names = (typeof scope === 'string' ? [scope] : scope).map((s) => `\`${s}\``).join(' or ');
    const needs = `Needs a key with scope ${names}${names === '`admin`' ? '' : ' (or `admin`)'}.`;
    schema.description = schema.description ? `${schema.description}\n\n${needs}` : needs;
  }
  if (methods.some((m) => m !== 'GET' && m !== 'HEAD')) statuses.push(409);
  if (schema.body) statuses.push(413, 415);
  const response: Record<string, unknown> = { ...schema.response };
  for (const status of statuses) response[status] ??= errorSchema;
  schema.response = response;
}
