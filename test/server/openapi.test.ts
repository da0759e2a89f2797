import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIV3 } from 'openapi-types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/server/errorCodes.ts';
import { contractCheck, schemaValidator } from './contract.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let s: Running;
let spec: OpenAPIV3.Document;
beforeAll(async () => {
  s = await startServer(readFileSync(join(ROOT, 'examples/telco/catalog.yaml'), 'utf8'));
  spec = (await s.call('GET', '/docs/json', { key: null })).body;
});
afterAll(async () => s.stop());

const operations = () =>
  Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops as Record<string, OpenAPIV3.OperationObject>).map(([method, op]) => ({
      name: `${method.toUpperCase()} ${path}`,
      op,
    })),
  );

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3 document (a maintained validator) whose $refs all resolve', async () => {
    const result = await new Validator().validate(spec as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const refs = [...JSON.stringify(spec).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(20);
    expect(refs.filter((r) => !spec.components?.schemas?.[r])).toEqual([]);
  });

  it('gives every request body and every answer an example, and each example fits its schema', () => {
    const compile = schemaValidator(spec);
    const missing: string[] = [];
    const wrong: string[] = [];
    let checked = 0;
    for (const { name, op } of operations()) {
      const bodies: Array<[string, OpenAPIV3.MediaTypeObject]> = [];
      const request = op.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      for (const media of Object.values(request?.content ?? {})) bodies.push([`${name} request`, media]);
      for (const [status, response] of Object.entries(op.responses))
        for (const media of Object.values((response as OpenAPIV3.ResponseObject).content ?? {}))
          bodies.push([`${name} ${status}`, media]);
      for (const [where, media] of bodies) {
        if (media.example === undefined) {
          missing.push(where);
          continue;
        }
        const check = compile(media.schema);
        checked++;
        if (!check(media.example)) wrong.push(`${where}: ${JSON.stringify(check.errors?.slice(0, 2))}`);
      }
    }
    // When this fails after a route or schema change: npm run docs:examples (scripts/captureExamples.ts).
    expect(missing).toEqual([]);
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  it('declares every status a route answers, with the error shape for errors', () => {
    for (const { name, op } of operations()) {
      const statuses = Object.keys(op.responses);
      expect(statuses, name).toContain('500');
      expect(statuses, name).toContain('503');
      for (const status of statuses.filter(
        (st) => Number(st) >= 400 && !(name.endsWith('/v1/ready') && st === '503'),
      )) {
        const schema = (op.responses[status] as OpenAPIV3.ResponseObject).content?.['application/json']
          ?.schema;
        expect(schema, `${name} ${status}`).toEqual({ $ref: '#/components/schemas/Error' });
      }
    }
  });

  it('lists every error code with its status in the error schema and in the README', () => {
    const error = spec.components!.schemas!.Error as OpenAPIV3.SchemaObject;
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect((error.properties!.code as OpenAPIV3.SchemaObject).enum).toEqual(Object.keys(ERROR_CODES));
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      expect(error.description).toContain(`| \`${code}\` | ${status} |`);
      expect(readme).toContain(`| \`${code}\` | ${status} |`);
    }
  });
});

describe('answers against the document', () => {
  it('error bodies carry the code of their status', async () => {
    const cases: Array<[() => Promise<{ status: number; body: { code: string } }>, number, string]> = [
      [
        () => s.call('POST', '/v1/decide', { body: { channel: 'nowhere', bogus: 1 } }),
        400,
        'NB_ERR_VALIDATION',
      ],
      [
        () =>
          s.call('POST', '/v1/decide', {
            body: '{"channel":',
            headers: { 'content-type': 'application/json' },
          }),
        400,
        'NB_ERR_MALFORMED_JSON',
      ],
      [() => s.call('PUT', '/v1/catalog', { body: { name: 'x' }, key: undefined }), 403, 'NB_ERR_FORBIDDEN'],
      [
        () => s.call('POST', '/v1/decide', { body: { channel: 'web' }, key: null }),
        401,
        'NB_ERR_KEY_MISSING',
      ],
      [
        () => s.call('POST', '/v1/decide', { body: { channel: 'web' }, key: 'nope' }),
        401,
        'NB_ERR_KEY_INVALID',
      ],
      [() => s.call('GET', '/v1/customers/nobody', { key: ADMIN_KEY }), 404, 'NB_ERR_NOT_FOUND'],
      [() => s.call('GET', '/v1/nothing'), 404, 'NB_ERR_NO_ROUTE'],
      [
        () => s.call('POST', '/v1/decide', { body: '<a/>', headers: { 'content-type': 'application/xml' } }),
        415,
        'NB_ERR_UNSUPPORTED_MEDIA_TYPE',
      ],
      [
        () =>
          s.call('POST', '/v1/decide', {
            body: JSON.stringify({ channel: 'web', context: { x: 'y'.repeat(300_000) } }),
          }),
        413,
        'NB_ERR_BODY_TOO_LARGE',
      ],
    ];
    for (const [answer, status, code] of cases) {
      const res = await answer();
      expect([res.status, res.body.code]).toEqual([status, code]);
    }
  });

  it('the check refuses an undeclared status, a body its schema refuses and a code of another status', () => {
    const check = contractCheck(spec);
    const json = 'application/json';
    expect(() => check('GET', '/v1/customers/c1', 418, json, {})).toThrow(/does not declare/);
    expect(() => check('GET', '/v1/customers/c1', 200, json, { id: 'c1' })).toThrow(/schema refuses/);
    expect(() =>
      check('GET', '/v1/customers/c1', 404, json, {
        statusCode: 404,
        code: 'NB_ERR_CONFLICT',
        error: 'Not Found',
        message: 'x',
      }),
    ).toThrow(/belongs to 409/);
    expect(() =>
      check('GET', '/v1/customers/c1', 404, json, {
        statusCode: 404,
        code: 'NB_ERR_NOT_FOUND',
        error: 'Not Found',
        message: 'x',
      }),
    ).not.toThrow();
  });
});
