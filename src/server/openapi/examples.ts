// The examples the OpenAPI document shows: successful answers and request bodies captured from a real session
// (scripts/captureExamples.ts, `npm run docs:examples`), and one error body per error status.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorBody } from '../errors.ts';

/** Per operation (`POST /v1/decide`): its request body and one answer per successful status. */
export type Examples = Record<string, { request?: unknown; responses: Record<string, unknown> }>;

export const EXAMPLES_PATH = join(import.meta.dirname, 'examples.json');

const ERROR_MESSAGES: Record<string, [string, string?]> = {
  400: ['body.channel: Invalid input', 'body.channel'],
  401: ['headers.authorization: wrong API key', 'headers.authorization'],
  403: ["this route needs a key with scope 'admin' (key k_7f3a has decide)", 'headers.authorization'],
  404: ["unknown customer 'C00042'", 'params.id'],
  409: ['message 17 is not claimed (already settled?)', 'params.id'],
  413: ['body: larger than the limit of 262144 bytes', 'body'],
  415: ['headers.content-type: Unsupported Media Type: application/xml', 'headers.content-type'],
  429: ['rate limit exceeded for this key, retry in 12 s'],
  500: ['internal error (request 6c1f0e2a-7d1b-4a53-9f43-3a2b8e9d5c10)'],
  503: ['the store cannot serve (connection refused); nothing was stored, retry later'],
};

function errorExample(status: string): unknown {
  const [message, field] = ERROR_MESSAGES[status] ?? ['error'];
  // errorBody gives it its status's code.
  return errorBody(Number(status), message, field ? { field } : {});
}

interface MediaTypes {
  content?: Record<string, { example?: unknown }>;
}
type Operation = { requestBody?: MediaTypes; responses?: Record<string, MediaTypes> };

/** Puts the examples into the document's request bodies and answers (as the media types' `example`). */
export function addExamples<T extends object>(document: T): T {
  const examples: Examples = existsSync(EXAMPLES_PATH)
    ? (JSON.parse(readFileSync(EXAMPLES_PATH, 'utf8')) as Examples)
    : {};
  const paths = (document as { paths?: Record<string, Record<string, Operation>> }).paths ?? {};
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const captured = examples[`${method.toUpperCase()} ${path}`];
      for (const media of Object.values(operation.requestBody?.content ?? {}))
        if (captured?.request !== undefined) media.example = captured.request;
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) {
          const isError = (media as { schema?: { $ref?: string } }).schema?.$ref?.endsWith('/Error');
          const example = isError ? errorExample(status) : captured?.responses[status];
          if (example !== undefined) media.example = example;
        }
      }
    }
  }
  return document;
}
