// Managed API keys: create, list, revoke and rotate without a restart (admin). The key is shown once.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Engine } from '../../engine/engine.ts';
import { actorOf } from '../auth.ts';
import { createKeyBody, keyIdParams, keyInfo, keyList, newKey, rotateKeyBody } from '../keySchemas.ts';
import { type ApiKeys, type KeyInfo, publishableChannelProblem } from '../keys.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function wire(k: KeyInfo) {
  return {
    id: k.id,
    label: k.label,
    scopes: [...k.scopes],
    source: k.source,
    active: k.active,
    createdAt: iso(k.createdAt),
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
    replacedBy: k.replacedBy,
    ...(k.origins ? { origins: [...k.origins] } : {}),
    ...(k.channels ? { channels: [...k.channels] } : {}),
  };
}

export async function keyRoutes(parent: FastifyInstance, keys: ApiKeys, engine: Engine) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const tags = ['keys'];
  app.get(
    '/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Every key the server knows (never the keys themselves), revoked and expired ones included',
        response: { 200: keyList },
      },
    },
    async () => ({ keys: (await keys.list()).map(wire) }),
  );
  app.post(
    '/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Creates a key with a label and scopes; the answer holds the key, shown this once',
        description: 'Every process on the database accepts it within about a second.',
        body: createKeyBody,
        response: { 201: newKey },
      },
    },
    async (request, reply) => {
      const { key, info } = await keys.create(
        request.body,
        actorOf(request),
        publishableChannelProblem(engine.activeCatalog.catalog),
      );
      return reply.code(201).send({ ...wire(info), key });
    },
  );
  app.delete(
    '/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Revokes a key now (409 for the last working admin key, or a key from the environment)',
        description: 'Every process on the database refuses it within about a second.',
        params: keyIdParams,
        response: { 200: keyInfo },
      },
    },
    async (request) => wire(await keys.revoke(request.params.id, actorOf(request))),
  );
  app.post(
    '/keys/:id/rotate',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary:
          'Replaces a key by a new one with the same label and scopes; the old one works for graceSeconds more',
        params: keyIdParams,
        body: rotateKeyBody,
        response: { 201: newKey },
      },
    },
    async (request, reply) => {
      const { key, info, replaced } = await keys.rotate(
        request.params.id,
        request.body.graceSeconds,
        actorOf(request),
      );
      return reply.code(201).send({ ...wire(info), key, replaced: wire(replaced) });
    },
  );
}
