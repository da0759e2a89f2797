// The stable error codes every error body carries (`code`), as Fastify names its own FST_ERR_*: clients branch on
// the code, never on the message, which may be reworded. A code, once published, keeps its meaning.

export const ERROR_CODES = {
  NB_ERR_VALIDATION: { status: 400, description: 'A request field is invalid; `field` names it.' },
  NB_ERR_MALFORMED_JSON: { status: 400, description: 'The body is not valid JSON (or is empty).' },
  NB_ERR_INVALID_CATALOG: {
    status: 400,
    description: 'The catalog does not validate; `issues` lists every problem with its path.',
  },
  NB_ERR_KEY_MISSING: { status: 401, description: 'No `Authorization: Bearer <key>` header.' },
  NB_ERR_KEY_INVALID: { status: 401, description: 'The key is unknown, revoked or expired.' },
  NB_ERR_CUSTOMER_TOKEN: {
    status: 401,
    description:
      'The customer token does not verify: not an HS256 JWT, a signature of another secret, expired, or no customer id in `sub`.',
  },
  NB_ERR_FORBIDDEN: {
    status: 403,
    description:
      "The key lacks the route's scope (the message names the scopes it needs), or a publishable key asks for what it may not: another origin or channel, a bare customer id, an explanation, a conversion.",
  },
  NB_ERR_NOT_FOUND: {
    status: 404,
    description: 'The resource does not exist (customer, decision, action, key, catalog version, message).',
  },
  NB_ERR_NO_ROUTE: { status: 404, description: 'No route has this method and path.' },
  NB_ERR_CONFLICT: {
    status: 409,
    description:
      'The request conflicts with the current state (a key already rotated or revoked, a message not claimed or claimed by another, a channel the webhook delivers).',
  },
  NB_ERR_BODY_TOO_LARGE: { status: 413, description: 'The body is larger than the limit the message names.' },
  NB_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    description: 'The content type is not accepted (JSON; YAML or text for catalogs).',
  },
  NB_ERR_RATE_LIMITED: {
    status: 429,
    description: 'Too many requests for this key or address; wait for `retry-after` seconds.',
  },
  NB_ERR_UNAVAILABLE: {
    status: 503,
    description:
      'The store cannot serve now (degraded mode); nothing was stored, send it again after `retry-after` seconds.',
  },
  NB_ERR_INTERNAL: { status: 500, description: 'A fault of the server; it is logged with the request id.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** The code of an error that has no more specific one: the general code of its status. */
export function codeForStatus(status: number): ErrorCode {
  const general: Record<number, ErrorCode> = {
    400: 'NB_ERR_VALIDATION',
    401: 'NB_ERR_KEY_INVALID',
    403: 'NB_ERR_FORBIDDEN',
    404: 'NB_ERR_NOT_FOUND',
    409: 'NB_ERR_CONFLICT',
    413: 'NB_ERR_BODY_TOO_LARGE',
    415: 'NB_ERR_UNSUPPORTED_MEDIA_TYPE',
    429: 'NB_ERR_RATE_LIMITED',
    503: 'NB_ERR_UNAVAILABLE',
  };
  return general[status] ?? (status >= 500 ? 'NB_ERR_INTERNAL' : 'NB_ERR_VALIDATION');
}

/** The codes as a Markdown table (the OpenAPI document's error schema and the README show it). */
export function errorCodeTable(): string {
  const rows = Object.entries(ERROR_CODES).map(
    ([code, c]) => `| \`${code}\` | ${c.status} | ${c.description} |`,
  );
  return ['| code | status | meaning |', '|---|---|---|', ...rows].join('\n');
}
