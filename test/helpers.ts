import { compileCatalog } from '../src/core/catalog.ts';
import type { CatalogFile } from '../src/core/catalogSchema.ts';
import { Engine, type EngineOptions } from '../src/engine/engine.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';

/** A small catalog for tests; `patch` replaces top-level sections. */
export function smallCatalogDoc(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test',
    channels: [{ id: 'web' }, { id: 'email', direction: 'outbound' }, { id: 'call-centre' }],
    schema: {
      customer: { age: 'number', segment: 'string', products: 'list<string>', balance: 'number' },
      context: { intent: 'string' },
    },
    // Greedy and without control groups, so that tests see deterministic rankings.
    learning: { explorer: 'epsilonGreedy', exploration: 0 },
    measurement: { controlShare: 0 },
    actions: [
      action('A1', 'Sales', 'Cards', { value: 10 }),
      action('A2', 'Sales', 'Cards', { value: 20 }),
      action('B1', 'Sales', 'Loans', { value: 5 }),
      action('R1', 'Retention', 'Care', { value: 8 }),
    ],
    ...patch,
  };
}

/** The small catalog, greedy with a Beta-Binomial learner, whose silences become negatives after `hours`. */
export function windowCatalogDoc(hours: number): Record<string, unknown> {
  return smallCatalogDoc({
    learning: {
      explorer: 'epsilonGreedy',
      exploration: 0,
      learner: 'betaBinomial',
      responseWindowHours: hours,
    },
  });
}

export function action(id: string, issue: string, group: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    name: `Action ${id}`,
    issue,
    group,
    treatments: { web: { title: `${id} on web` }, email: { title: `${id} by email` } },
    ...extra,
  };
}

export function smallCatalog(patch: Record<string, unknown> = {}) {
  return compileCatalog(smallCatalogDoc(patch));
}

export type { CatalogFile };

/** An engine on a fresh in-memory store with the given catalog; checkpoints off unless asked for. */
export async function openEngine(doc: Record<string, unknown>, options: EngineOptions = {}) {
  const store = new SqliteStore(':memory:');
  await store.init();
  const engine = await Engine.open(store, JSON.stringify(doc), { checkpointMs: 0, ...options });
  return { store, engine };
}
