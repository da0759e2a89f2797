import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { compileCatalog } from '../../core/catalog.ts';
import { parseCatalogSource } from '../../core/catalogSource.ts';
import { catalogWarnings } from '../../core/catalogWarnings.ts';
import { type Engine, EngineError } from '../../engine/engine.ts';
import type { StoredCatalog } from '../../store/store.ts';
import { actorOf } from '../auth.ts';
import {
  actionPatchBody,
  actionPatchParams,
  catalogPutResponse,
  catalogResponse,
  catalogVersionInfo,
  errorSchema,
} from '../schemas.ts';

function info(c: Omit<StoredCatalog, 'source'>) {
  return {
    version: c.version,
    hash: c.hash,
    createdAt: new Date(c.createdAt).toISOString(),
    active: c.active,
  };
}

function full(c: StoredCatalog) {
  const catalog = compileCatalog(parseCatalogSource(c.source), { stored: true }).definition;
  return { ...info(c), source: c.source, catalog };
}

/** The answer to a new version: the active catalog's size and what it looks wrong about. */
function putAnswer(engine: Engine, stored: StoredCatalog, created: boolean) {
  const { catalog } = engine.activeCatalog;
  return { ...info(stored), created, actions: catalog.actions.length, warnings: catalogWarnings(catalog) };
}

export async function catalogRoutes(parent: FastifyInstance, engine: Engine, bodyLimit: number) {
  const app = parent.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema, 413: errorSchema };

  app.get(
    '/catalog',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'The active catalog',
        response: { 200: catalogResponse, ...errors },
      },
    },
    async () => full(engine.activeCatalog.stored),
  );

  app.put(
    '/catalog',
    {
      config: { scope: 'admin' },
      bodyLimit,
      schema: {
        tags: ['catalog'],
        summary:
          'Validate and activate a new catalog version (JSON, or YAML with Content-Type application/yaml)',
        description:
          'Every rule is compiled; any problem rejects the catalog with its location. Old versions are kept.',
        body: z.union([z.string(), z.record(z.string(), z.unknown())]),
        response: { 200: catalogPutResponse, 201: catalogPutResponse, ...errors },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const source = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
      const { stored, created } = await engine.putCatalog(source, actorOf(request));
      return reply.code(created ? 201 : 200).send(putAnswer(engine, stored, created));
    },
  );

  app.patch(
    '/catalog/actions/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['catalog'],
        summary: "Change an action's lever or budget (a new catalog version)",
        description:
          'Edits the active catalog source in place (YAML comments survive) and activates it like PUT.',
        params: actionPatchParams,
        body: actionPatchBody,
        response: { 200: catalogPutResponse, 201: catalogPutResponse, ...errors },
      },
    },
    async (request, reply) => {
      const { lever, budget } = request.body;
      const { stored, created } = await engine.patchAction(
        request.params.id,
        { lever, budget: budget === null ? null : budget && { ...budget } },
        actorOf(request),
      );
      return reply.code(created ? 201 : 200).send(putAnswer(engine, stored, created));
    },
  );

  app.get(
    '/catalog/versions',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'All stored catalog versions',
        response: { 200: z.object({ versions: z.array(catalogVersionInfo) }), ...errors },
      },
    },
    async () => ({ versions: (await engine.store.listCatalogs()).map(info) }),
  );

  app.get(
    '/catalog/versions/:version',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['catalog'],
        summary: 'One stored catalog version',
        params: z.object({ version: z.coerce.number().int().positive() }),
        response: { 200: catalogResponse, ...errors },
      },
    },
    async (request) => {
      const stored = await engine.store.getCatalog(request.params.version);
      if (!stored)
        throw new EngineError(
          'not_found',
          'params.version',
          `unknown catalog version ${request.params.version}`,
        );
      return full(stored);
    },
  );
}
