// Starts the installed package's `nextbest serve` (two workers, a fresh SQLite file), decides, records an
// outcome, reads the models, and stops it; exits 1 with what went wrong (scripts/prodSmoke.sh).
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const KEY = 'prod-smoke-admin-key-0123456789';
const fail = (message) => {
  console.error(`prodSmoke: ${message}`);
  process.exit(1);
};
const server = spawn(
  process.execPath,
  ['bin/nextbest.mjs', 'serve', '--db', join(dir, 'smoke.db'), '--port', '0', '--workers', '2'],
  {
    cwd: dir,
    env: { ...process.env, NEXTBEST_ADMIN_KEY: KEY, NEXTBEST_RUN: process.env.NEXTBEST_RUN ?? '' },
    stdio: 'pipe',
  },
);
let out = '';
let stopping = false;
const timer = setTimeout(() => fail(`no answer within 60 s:\n${out}`), 60_000);
server.stderr.on('data', (chunk) => {
  out += chunk;
});
server.on('exit', (code) => {
  if (!stopping) fail(`the server exited with ${code}:\n${out}`);
});
const url = await new Promise((resolve) => {
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
});
const call = async (method, path, body) => {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) fail(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const health = await call('GET', '/v1/health');
if (health.status !== 'ok') fail(`health: ${JSON.stringify(health)}`);
const decision = await call('POST', '/v1/decide', { customerId: 'C00001', channel: 'web', limit: 1 });
if (decision.actions.length !== 1) fail(`decide: ${JSON.stringify(decision)}`);
await call('POST', '/v1/outcomes', {
  decisionId: decision.decisionId,
  actionId: decision.actions[0].actionId,
  outcome: 'accept',
});
const models = await call('GET', '/v1/models');
if (!Array.isArray(models.models) || models.models.length === 0) fail('no models');
// The typed client, imported by its package name as an integrator would (the exports map, the build, openapi-fetch
// as a production dependency).
writeFileSync(
  join(dir, 'client-smoke.mjs'),
  `import { createClient } from 'nextbest/client';
const nb = createClient({ baseUrl: process.argv[2], key: process.argv[3] });
const { data, error } = await nb.POST('/v1/decide', { body: { customerId: 'C00002', channel: 'web', limit: 1 } });
if (error || data.actions.length !== 1) { console.error(JSON.stringify(error ?? data)); process.exit(1); }
const missing = await nb.GET('/v1/customers/{id}', { params: { path: { id: 'nobody' } } });
if (missing.error?.code !== 'NB_ERR_NOT_FOUND') { console.error(JSON.stringify(missing.error)); process.exit(1); }
`,
);
const client = spawnSync(process.execPath, ['client-smoke.mjs', url, KEY], { cwd: dir, encoding: 'utf8' });
if (client.status !== 0) fail(`the typed client (nextbest/client): ${client.stderr}${client.stdout}`);
// The document's examples are read from a file the build copies beside the compiled code.
const spec = await call('GET', '/docs/json');
if (!spec.paths['/v1/decide'].post.requestBody.content['application/json'].example)
  fail('the OpenAPI document has no examples (src/server/openapi/examples.json not in dist/?)');
clearTimeout(timer);
stopping = true;
server.kill('SIGTERM');
console.log(`prodSmoke: the production install served ${url} (decision ${decision.decisionId})`);
