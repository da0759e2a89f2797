// What the engine's services share: the store, the clock, the random source, the active catalog and the models.

import type { Store } from '../store/store.ts';
import type { Catalogs } from './catalogs.ts';
import type { ModelRegistry } from './models.ts';
import type { ProfileCache } from './profileCache.ts';
import type { WebhookDispatcher } from './webhook.ts';

export interface EngineContext {
  readonly store: Store;
  readonly clock: () => number;
  readonly rng: () => number;
  /** Where the engine reports what an operator should know (EngineOptions.log, default stderr). */
  readonly log: (line: string) => void;
  readonly catalogs: Catalogs;
  readonly registry: ModelRegistry;
  /** Recently used profiles, for decisions while the store is unavailable. */
  readonly profiles: ProfileCache;
  /** Pushes outbound messages of its channels (set when the engine is opened with a webhook). */
  webhook: WebhookDispatcher | undefined;
}

/** The learner named by the catalog and the number of outcomes learned so far. */
export function modelVersion(c: EngineContext): string {
  return `${c.catalogs.catalog.definition.learning.learner}#${c.registry.learnedSeq}`;
}
