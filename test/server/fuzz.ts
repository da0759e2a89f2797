// Requests generated from the OpenAPI document (fast-check): mostly close to each route's schema, so they
// reach the handlers, with hostile values mixed in (deep nesting, absurd numbers, long ids, wrong types,
// wrong content types, malformed JSON, oversized arrays) and keys that are right, wrong, missing or too weak.
import fc from 'fast-check';

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema documents are walked untyped
type Schema = any;

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /v1/customers/{id}. */
  path: string;
  parameters: Array<{ in: string; name: string; required?: boolean; schema: Schema }>;
  body?: Schema;
  statuses: Set<number>;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  /** Which operation it was made for (for the report). */
  operation: string;
}

export function operationsOf(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(ops)) {
      out.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
        statuses: new Set(Object.keys(op.responses ?? {}).map(Number)),
      });
    }
  }
  return out;
}

const deep = (levels: number, list: boolean) => {
  let s = '1';
  for (let i = 0; i < levels; i++) s = list ? `[${s}]` : `{"a":${s}}`;
  return s;
};

/** Raw JSON texts no schema-minded client would send. */
const hostileJson: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 20, max: 3000 }).map((n) => deep(n, false)),
  fc.integer({ min: 20, max: 3000 }).map((n) => deep(n, true)),
  fc.constantFrom('1e308', '-1e308', '5e-324', '1e400', '-0', '123456789012345678901234567890'),
  fc.integer({ min: 101, max: 400 }).map((n) => JSON.stringify('x'.repeat(n))),
  fc.constantFrom(
    JSON.stringify('ü'.repeat(300)),
    JSON.stringify('\u0000\ud800'),
    '""',
    'null',
    'true',
    '[]',
    '{}',
  ),
  fc.integer({ min: 1000, max: 12_000 }).map((n) => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`),
  fc.constantFrom('{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}'),
  fc.integer({ min: 10_001, max: 20_000 }).map((n) => JSON.stringify('y'.repeat(n))),
);

function resolve(doc: Schema, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++) {
    const name = String(s.$ref).split('/').pop()!;
    s = doc.components?.schemas?.[name];
  }
  return s ?? {};
}

/** Values the store knows (ids of customers, decisions, actions), so that generated requests hit real rows. */
export interface Pools {
  customerIds: string[];
  decisionIds: string[];
  actionIds: string[];
  channels: string[];
  eventTypes: string[];
}

function stringFor(name: string, s: Schema, pools: Pools): fc.Arbitrary<string> {
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as string[]));
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= (s.maxLength ?? 1000));
    } catch {
      // a pattern JavaScript cannot read: plain strings
    }
  }
  const pool =
    name === 'customerId' || name === 'id'
      ? [...pools.customerIds, ...pools.decisionIds, ...pools.actionIds]
      : name === 'decisionId'
        ? pools.decisionIds
        : name === 'actionId'
          ? pools.actionIds
          : name === 'channel'
            ? pools.channels
            : name === 'type'
              ? pools.eventTypes
              : [];
  const iso = fc
    .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString());
  const timeLike = /time|from|to|at$/i.test(name) || s.format === 'date-time';
  const plain = fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 60) });
  return fc.oneof(
    { weight: pool.length > 0 ? 6 : 0, arbitrary: pool.length > 0 ? fc.constantFrom(...pool) : plain },
    { weight: timeLike ? 6 : 0, arbitrary: iso },
    { weight: 2, arbitrary: plain },
  );
}

/** Close to the schema: right shapes, with a field now and then replaced by something hostile or wrong. */
export function valueFor(
  doc: Schema,
  schema: Schema,
  pools: Pools,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(doc, schema);
  const wrong = fc.oneof(
    hostileJson.map((t) => JSON.parse(t) as unknown),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const right = rightValue(doc, s, pools, name, depth);
  return fc.oneof({ weight: 12, arbitrary: right }, { weight: depth === 0 ? 0 : 1, arbitrary: wrong });
}

function rightValue(
  doc: Schema,
  s: Schema,
  pools: Pools,
  name: string,
  depth: number,
): fc.Arbitrary<unknown> {
  if (depth > 6) return fc.constant(null);
  const variants = s.anyOf ?? s.oneOf;
  if (Array.isArray(variants) && variants.length > 0)
    return fc.oneof(...variants.map((v: Schema) => valueFor(doc, v, pools, name, depth)));
  if (Array.isArray(s.allOf) && s.allOf.length > 0) return valueFor(doc, s.allOf[0], pools, name, depth);
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringFor(name, s, pools);
    case 'integer':
      return fc.integer({ min: Math.max(s.minimum ?? -1000, -1e6), max: Math.min(s.maximum ?? 1000, 1e6) });
    case 'number':
      return fc.oneof(
        fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 0, max: 100 }),
      );
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(valueFor(doc, s.items ?? {}, pools, name, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    case 'object':
    case undefined: {
      const props: Record<string, Schema> = s.properties ?? {};
      const keys = Object.keys(props);
      if (keys.length === 0) {
        // A free-form map (contexts, attributes, payloads): plain JSON.
        return fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
      }
      const required = new Set<string>(s.required ?? []);
      const shape: Record<string, fc.Arbitrary<unknown>> = {};
      for (const k of keys) shape[k] = valueFor(doc, props[k], pools, k, depth + 1);
      const firstRequired = keys.find((k) => required.has(k));
      return fc.record(shape, { requiredKeys: keys.filter((k) => required.has(k)) }).chain((value) =>
        // Now and then a field too many or a required one missing.
        fc.oneof(
          { weight: 18, arbitrary: fc.constant(value) },
          { weight: 1, arbitrary: fc.constant({ ...(value as object), unexpected: 1 }) },
          {
            weight: firstRequired ? 1 : 0,
            arbitrary: fc.constant(
              Object.fromEntries(Object.entries(value as object).filter(([k]) => k !== firstRequired)),
            ),
          },
        ),
      );
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export interface Keys {
  admin: string;
  api: string;
}

/** One generated request for one operation. */
export function requestFor(doc: Schema, op: Operation, pools: Pools, keys: Keys): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const param = (p: { name: string; schema: Schema }) =>
    fc.oneof(
      { weight: 8, arbitrary: rightValue(doc, resolve(doc, p.schema), pools, p.name, 1).map(String) },
      {
        weight: 2,
        arbitrary: fc.oneof(
          fc.integer({ min: 90, max: 260 }).map((n) => 'i'.repeat(n)),
          fc.constantFrom('ü'.repeat(120), '%', '..', '-1', '1e308', ' ', '\u0000', 'a/b', '?x=1'),
          fc.string({ maxLength: 20 }),
        ),
      },
    );
  const path = fc.tuple(...pathParams.map(param)).map((values) => {
    let url = op.path;
    pathParams.forEach((p, i) => {
      url = url.replace(`{${p.name}}`, encodeURIComponent(values[i] ?? ''));
    });
    return url;
  });
  const query = fc.tuple(...queryParams.map((p) => fc.option(param(p), { freq: 2 }))).map((values) => {
    const q = new URLSearchParams();
    queryParams.forEach((p, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) q.set(p.name, v);
    });
    const text = q.toString();
    return text === '' ? '' : `?${text}`;
  });
  const auth = fc.oneof(
    { weight: 14, arbitrary: fc.constant(`Bearer ${keys.admin}`) },
    { weight: 3, arbitrary: fc.constant(`Bearer ${keys.api}`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', 'Bearer', 'Bearer wrong-key-0123456789', 'Basic abc', 'Bearer a b'),
    },
  );
  const json = op.body
    ? valueFor(doc, op.body, pools).map((v) => ({ type: 'application/json', payload: JSON.stringify(v) }))
    : fc.constant(undefined);
  const body = op.body
    ? fc.oneof(
        { weight: 14, arbitrary: json },
        { weight: 2, arbitrary: hostileJson.map((payload) => ({ type: 'application/json', payload })) },
        {
          weight: 1,
          arbitrary: fc.record({
            type: fc.constantFrom(
              'application/json',
              'text/plain',
              'application/xml',
              'multipart/form-data',
              '',
            ),
            payload: fc.constantFrom('{', '{"a":', 'not json', '', '<x/>', '\u0000', '{"a":1}{"b":2}'),
          }),
        },
      )
    : fc.constant(undefined);
  return fc.record({ path, query, auth, body }).map(({ path, query, auth, body }) => {
    const headers: Record<string, string> = {};
    if (auth !== '') headers.authorization = auth;
    if (body?.type) headers['content-type'] = body.type;
    return {
      method: op.method,
      url: path + query,
      headers,
      ...(body === undefined ? {} : { payload: body.payload }),
      operation: `${op.method} ${op.path}`,
    };
  });
}
