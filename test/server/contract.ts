// Holds answers to the OpenAPI document: every answer a test receives through the harness must have a status
// its route declares and a body its schema for that status accepts, so the document cannot drift from the code.
import { Ajv, type ValidateFunction } from 'ajv';
import type { OpenAPIV3 } from 'openapi-types';
import { ERROR_CODES } from '../../src/server/errorCodes.ts';

type Doc = OpenAPIV3.Document;

/** Path templates of the document as matchers, literal segments before parameters (/v1/outbound/stats first). */
function matchers(doc: Doc) {
  return Object.keys(doc.paths)
    .map((template) => ({
      template,
      params: (template.match(/\{/g) ?? []).length,
      re: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }))
    .sort((a, b) => a.params - b.params);
}

/** OpenAPI 3.0's schema dialect as JSON Schema says it: `nullable` (Ajv's reading needs a `type` beside it), bounds. */
function jsonSchemaOf(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(jsonSchemaOf);
  if (!node || typeof node !== 'object') return node;
  const { nullable, ...rest } = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rest)) out[k] = k === 'example' ? v : jsonSchemaOf(v);
  // 3.0's boolean exclusive bounds are JSON Schema's numeric ones.
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (out[exclusive] === true) {
      out[exclusive] = out[bound];
      delete out[bound];
    } else if (out[exclusive] === false) delete out[exclusive];
  }
  return nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

/** A validator of a schema of the document, its $refs resolved against the document's components. */
export function schemaValidator(doc: Doc) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const refs = (schema: unknown) =>
    JSON.parse(JSON.stringify(jsonSchemaOf(schema)).replaceAll('"#/components/', '"doc#/components/'));
  ajv.addSchema({ $id: 'doc', components: refs(doc.components) });
  return (schema: unknown): ValidateFunction => ajv.compile(refs(schema));
}

export type ContractCheck = (
  method: string,
  path: string,
  status: number,
  contentType: string | null,
  body: unknown,
) => void;

export function contractCheck(doc: Doc): ContractCheck {
  const routes = matchers(doc);
  const compile = schemaValidator(doc);
  const cache = new Map<string, ValidateFunction | null>();
  return (method, path, status, contentType, body) => {
    const bare = path.split('?')[0]!;
    const code = (body as { code?: string } | null)?.code;
    if (status >= 400 && code !== undefined) {
      const known = ERROR_CODES[code as keyof typeof ERROR_CODES];
      if (known?.status !== status)
        throw new Error(
          `${method} ${bare} ${status}: error code ${code} belongs to ${known?.status ?? 'no status'}`,
        );
    }
    const route = routes.find((r) => r.re.test(bare));
    const operation = route
      ? (doc.paths[route.template] as Record<string, OpenAPIV3.OperationObject>)[method.toLowerCase()]
      : undefined;
    // Pages, static files and unknown routes are not in the document; their errors still have the error shape.
    if (!operation) {
      if (status >= 400 && contentType?.includes('json')) {
        const check = compile({ $ref: '#/components/schemas/Error' });
        if (!check(body))
          throw new Error(`${method} ${bare} ${status}: not the error shape: ${describe(check)}`);
      }
      return;
    }
    const where = `${method} ${route!.template} answered ${status}`;
    const declared = operation.responses[String(status)] as OpenAPIV3.ResponseObject | undefined;
    if (!declared) throw new Error(`${where}, a status the OpenAPI document does not declare`);
    const key = `${method} ${route!.template} ${status}`;
    let check = cache.get(key);
    if (check === undefined) {
      const schema = declared.content?.['application/json']?.schema;
      check = schema ? compile(schema) : null;
      cache.set(key, check);
    }
    if (check && !contentType?.includes('json')) throw new Error(`${where} with ${contentType}, not JSON`);
    if (check && !check(body)) throw new Error(`${where} with a body its schema refuses: ${describe(check)}`);
  };
}

function describe(check: ValidateFunction): string {
  return (check.errors ?? [])
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message}`)
    .join('; ');
}
