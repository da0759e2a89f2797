// The active catalog and what follows from it, replaced as one so that a decision never mixes two versions.

import { parseDocument } from 'yaml';
import { type Catalog, compileCatalog, sharedActionFeatures } from '../core/catalog.ts';
import { parseCatalogSource } from '../core/catalogSource.ts';
import { historyRequirement } from '../core/contactPolicy.ts';
import { applyEvent } from '../core/events.ts';
import { type PolicySpec, policyExplorer } from '../core/policy.ts';
import { EpsilonGreedy } from '../learn/explore/epsilonGreedy.ts';
import type { Explorer } from '../learn/explorer.ts';
import { EXPLORERS } from '../learn/registry.ts';
import type { AuditEntry, StoredCatalog } from '../store/store.ts';
import type { EngineContext } from './context.ts';
import { EngineError } from './errors.ts';

/** Makes a new catalog version's audit entry from the definitions before and after. */
export type CatalogAudit = (
  stored: StoredCatalog,
  before: Catalog['definition'],
  after: Catalog['definition'],
) => Omit<AuditEntry, 'seq'>;

export interface ActiveCatalog {
  stored: StoredCatalog;
  catalog: Catalog;
  explorer: Explorer;
  /** How much interaction history the contact policies need. */
  history: { days: number; acceptsForever: boolean };
  /** Actions with a budget, whose usage each decision loads. */
  budgeted: string[];
  /** What a shared model sees of each of its actions. */
  actionFeatures: Map<string, Record<string, string | boolean>>;
  /** Shadow mode: the candidate policy and its explorer. */
  shadow: { spec: PolicySpec; explorer: Explorer } | undefined;
}

export class Catalogs {
  active!: ActiveCatalog;

  constructor(private readonly c: EngineContext) {}

  get catalog(): Catalog {
    return this.active.catalog;
  }

  /**
   * Activates the store's catalog. When the store has none yet, `defaultCatalogSource` becomes version 1;
   * without either, opening fails.
   */
  async open(defaultCatalogSource: string | undefined): Promise<void> {
    let stored = await this.c.store.activeCatalog();
    if (!stored) {
      if (defaultCatalogSource === undefined)
        throw new EngineError('unavailable', undefined, 'the store holds no catalog');
      const compiled = compileCatalog(parseCatalogSource(defaultCatalogSource));
      stored = await this.c.store.addCatalog(defaultCatalogSource, compiled.version, this.c.clock());
    }
    const catalog = compileCatalog(parseCatalogSource(stored.source), { stored: true });
    for (const i of catalog.ignored) this.c.log(`catalog version ${stored.version}: ${i.path}: ${i.message}`);
    this.activate(stored, catalog);
  }

  activate(stored: StoredCatalog, catalog: Catalog) {
    const learning = catalog.definition.learning;
    this.active = {
      stored,
      catalog,
      explorer:
        learning.explorer === 'epsilonGreedy'
          ? new EpsilonGreedy(learning.exploration)
          : EXPLORERS[learning.explorer](),
      history: historyRequirement(catalog),
      budgeted: catalog.actions.filter((a) => a.budget).map((a) => a.id),
      actionFeatures: sharedActionFeatures(catalog),
      shadow: catalog.definition.measurement.shadow && {
        spec: catalog.definition.measurement.shadow,
        explorer: policyExplorer(catalog.definition.measurement.shadow),
      },
    };
  }

  /**
   * Validates and stores a new catalog version; identical content keeps the active version. `audit` makes the
   * audit entry from the definitions before and after, stored with the version in one transaction.
   */
  async putCatalog(
    source: string,
    audit?: CatalogAudit,
  ): Promise<{ stored: StoredCatalog; created: boolean }> {
    const compiled = compileCatalog(parseCatalogSource(source));
    if (compiled.version === this.active.stored.hash) return { stored: this.active.stored, created: false };
    const before = this.catalog.definition;
    const stored = await this.c.store.addCatalog(
      source,
      compiled.version,
      this.c.clock(),
      audit && ((s) => audit(s, before, compiled.definition)),
    );
    this.activate(stored, compiled);
    await this.rebuildFeaturesIfChanged();
    await this.c.registry.rebuildChanged();
    return { stored, created: true };
  }

  /**
   * Feature states are kept per declaration; when the declarations change (a new feature, another window),
   * every state is recomputed from the stored events, so a new feature also covers the past.
   */
  async rebuildFeaturesIfChanged(): Promise<void> {
    const features = this.catalog.definition.events.features;
    const key = JSON.stringify(Object.entries(features).sort(([a], [b]) => a.localeCompare(b)));
    if ((await this.c.store.getSetting('features.declarations')) === key) return;
    const config = this.catalog.definition.events;
    await this.c.store.rebuildFeatureStates((state, event) => applyEvent(config, state, event));
    await this.c.store.setSetting('features.declarations', key);
  }

  /**
   * Changes one action's lever and/or budget: a new catalog version made from the active source, edited in
   * place so that comments and layout of a YAML catalog survive.
   */
  async patchAction(
    actionId: string,
    patch: { lever?: number | undefined; budget?: { maxPerDay?: number; total?: number } | null | undefined },
    audit?: CatalogAudit,
  ) {
    const index = this.catalog.definition.actions.findIndex((a) => a.id === actionId);
    if (index < 0) throw new EngineError('not_found', 'params.id', `unknown action '${actionId}'`);
    const doc = parseDocument(this.active.stored.source);
    if (patch.lever !== undefined) doc.setIn(['actions', index, 'lever'], patch.lever);
    if (patch.budget === null) doc.deleteIn(['actions', index, 'budget']);
    else if (patch.budget !== undefined)
      doc.setIn(['actions', index, 'budget'], doc.createNode(patch.budget));
    return this.putCatalog(doc.toString(), audit);
  }
}
