// `npm run docs:examples`: plays one session through every route of the API on the example catalog (an
// in-memory store, the real server) and writes each operation's request body and successful answers to
// src/server/openapi/examples.json, the examples the OpenAPI document shows. Real answers, so they cannot be
// wrong about the shapes; test/server/openapi.test.ts checks each against its schema and that no operation
// lacks one. Run it again when a route or a schema changes (it says which operations it could not reach).
import { writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { telcoCustomers } from '../src/demo/telcoCustomers.ts';
import { EXAMPLES_PATH, type Examples } from '../src/server/openapi/examples.ts';
import { EXAMPLE_CATALOG, withExampleServer } from './exampleServer.ts';

const ADMIN = 'example-admin-key-0123456789';
const _catalogSource = EXAMPLE_CATALOG;

const examples: Examples = {};
let app: FastifyInstance;
/** Arrays in answers are cut to this many items: an example shows the shape, not a page of data. */
const MAX_ITEMS = 2;
const trim = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.slice(0, MAX_ITEMS).map(trim)
    : v && typeof v === 'object'
      ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, trim(x)]))
      : v;

// biome-ignore lint/suspicious/noExplicitAny: answers are read freely to chain the session
async function call(method: string, template: string, path: string, body?: unknown): Promise<any> {
  const res = await app.inject({
    method: method as 'GET',
    url: path,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  const answer = res.headers['content-type']?.toString().includes('json') ? res.json() : res.body;
  if (res.statusCode >= 300) {
    console.error(`${method} ${path}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return answer;
  }
  const operation = `${method} ${template}`;
  examples[operation] ??= { responses: {} };
  const entry = examples[operation];
  if (body !== undefined) entry.request ??= body;
  entry.responses[String(res.statusCode)] ??= trim(answer);
  return answer;
}

async function session(): Promise<string[]> {
  // One of the example customers the server loads, with what the session needs to show: a router, consent.
  const attributes = {
    ...telcoCustomers(1)[0]!.attributes,
    hasRouter: true,
    marketingConsent: true,
    churnRisk: 0.62,
  };
  const at = new Date().toISOString();

  for (const path of ['/health', '/v1/health', '/v1/ready']) await call('GET', path, path);
  // A degraded store cannot be staged here; the readiness probe's 503 is its 200 with the degraded fields.
  const ready = examples['GET /v1/ready']!.responses;
  ready['503'] = {
    ...(ready['200'] as object),
    status: 'degraded',
    reason: 'connection refused (127.0.0.1:5432)',
    since: new Date().toISOString(),
  };
  await call('PUT', '/v1/customers/{id}', '/v1/customers/C00042', { attributes });
  await call('PUT', '/v1/customers/{id}', '/v1/customers/C00042', {
    attributes: { ...attributes, openTickets: 2 },
  });
  await call('PUT', '/v1/customers/{id}', '/v1/customers/C00043', { attributes: { ...attributes, age: 29 } });
  const decision = await call('POST', '/v1/decide', '/v1/decide', {
    customerId: 'C00042',
    channel: 'app',
    context: { intent: 'cancel', page: 'contract' },
    limit: 3,
  });
  await call('POST', '/v1/outcomes', '/v1/outcomes', {
    decisionId: decision.decisionId,
    actionId: decision.actions[0].actionId,
    outcome: 'accept',
  });
  await call('GET', '/v1/decisions', '/v1/decisions?limit=2');
  await call('GET', '/v1/decisions/{id}', `/v1/decisions/${decision.decisionId}`);
  await call('GET', '/v1/decisions/{id}/explain', `/v1/decisions/${decision.decisionId}/explain`);
  await call('GET', '/v1/customers/{id}', '/v1/customers/C00042');
  await call('POST', '/v1/events', '/v1/events', {
    customerId: 'C00042',
    type: 'device_alert',
    timestamp: at,
    payload: { device: 'router', code: 'E42', severity: 'critical' },
  });
  await call('POST', '/v1/events', '/v1/events', [
    {
      customerId: 'C00043',
      type: 'device_alert',
      timestamp: at,
      payload: { device: 'router', code: 'E7', severity: 'critical' },
    },
    {
      customerId: 'C00043',
      type: 'survey',
      timestamp: at,
      payload: { kind: 'nps', score: 9, touchpoint: 'app' },
    },
  ]);
  await call('GET', '/v1/customers/{id}/timeline', '/v1/customers/C00042/timeline?limit=3');
  const claimed = await call('GET', '/v1/outbound', '/v1/outbound?channel=sms&limit=2&leaseSeconds=60');
  const [first, second] = claimed.items ?? [];
  if (first)
    await call('POST', '/v1/outbound/{id}/ack', `/v1/outbound/${first.id}/ack`, {
      claimToken: first.claimToken,
    });
  if (second)
    await call('POST', '/v1/outbound/{id}/release', `/v1/outbound/${second.id}/release`, {
      claimToken: second.claimToken,
      retryInSeconds: 300,
    });
  await call('GET', '/v1/outbound/stats', '/v1/outbound/stats');
  await call('GET', '/v1/customers/{id}/export', '/v1/customers/C00042/export');
  const day = 86_400_000;
  const window = `from=${new Date(Date.now() - day).toISOString()}&to=${new Date(Date.now() + day).toISOString()}`;
  await call('GET', '/v1/kpis', `/v1/kpis?${window}&by=arm`);
  await call('GET', '/v1/kpis/series', `/v1/kpis/series?${window}`);
  await call('GET', '/v1/kpis/journey', `/v1/kpis/journey?${window}`);
  await call('GET', '/v1/kpis/feedback', `/v1/kpis/feedback?${window}`);
  await call('GET', '/v1/shadow', `/v1/shadow?${window}`);
  await call('GET', '/v1/models', '/v1/models');
  await call('GET', '/v1/models/{id}/report', `/v1/models/${decision.actions[0].actionId}/report`);
  const created = await call('POST', '/v1/keys', '/v1/keys', {
    label: 'crm-connector',
    scopes: ['decide', 'outcomes'],
  });
  await call('GET', '/v1/keys', '/v1/keys');
  const rotated = await call('POST', '/v1/keys/{id}/rotate', `/v1/keys/${created.id}/rotate`, {
    graceSeconds: 3600,
  });
  await call('DELETE', '/v1/keys/{id}', `/v1/keys/${rotated.id}`);
  await call('DELETE', '/v1/customers/{id}', '/v1/customers/C00043');
  // The catalog routes last, on a small catalog, so that their examples stay short.
  const small = {
    name: 'example',
    channels: [{ id: 'web' }, { id: 'email', direction: 'outbound' }],
    schema: { customer: { age: 'number', churnRisk: 'number' }, context: { intent: 'string' } },
    actions: [
      {
        id: 'LoyaltyDiscount',
        name: 'Loyalty discount',
        issue: 'Retention',
        group: 'Mobile',
        value: 40,
        eligibility: 'customer.churnRisk > 0.5',
        treatments: {
          web: { title: '20 % off for a year' },
          email: { title: 'A thank-you for staying with us' },
        },
      },
      {
        id: 'DataBoost',
        name: 'Data boost',
        issue: 'Sales',
        group: 'Mobile',
        value: 8,
        treatments: { web: { title: '10 GB extra this month' } },
      },
    ],
  };
  await call('GET', '/v1/catalog', '/v1/catalog');
  await call('PUT', '/v1/catalog', '/v1/catalog', small);
  await call('PUT', '/v1/catalog', '/v1/catalog', small);
  await call('PATCH', '/v1/catalog/actions/{id}', '/v1/catalog/actions/DataBoost', { lever: 1.2 });
  await call('PATCH', '/v1/catalog/actions/{id}', '/v1/catalog/actions/DataBoost', { lever: 1.2 });
  await call('GET', '/v1/catalog/versions', '/v1/catalog/versions');
  const versions = examples['GET /v1/catalog/versions']?.responses['200'] as {
    versions: Array<{ version: number }>;
  };
  await call(
    'GET',
    '/v1/catalog/versions/{version}',
    `/v1/catalog/versions/${Math.max(...versions.versions.map((v) => v.version))}`,
  );
  // The first GET showed the telco catalog: show the small one instead.
  delete examples['GET /v1/catalog'];
  await call('GET', '/v1/catalog', '/v1/catalog');
  await call('GET', '/v1/audit', '/v1/audit?limit=2');

  // Which operations of the document this session did not reach.
  const doc = app.swagger() as { paths: Record<string, Record<string, unknown>> };
  const missing = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .map((m) => `${m.toUpperCase()} ${path}`)
      .filter((op) => !examples[op]),
  );
  return missing;
}

const missing = await withExampleServer(async (server) => {
  app = server;
  return session();
}, ADMIN);
writeFileSync(EXAMPLES_PATH, `${JSON.stringify(examples, null, 2)}\n`);
console.log(`${Object.keys(examples).length} operations written to ${EXAMPLES_PATH}`);
if (missing.length > 0) {
  console.error(`no example for: ${missing.join(', ')}`);
  process.exit(1);
}
