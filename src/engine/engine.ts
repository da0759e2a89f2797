// The one place that joins the core, the learners and the store: a thin façade over the engine's services
// (catalogs, customers, decisions, events and trigger jobs, outbound, outcomes, models), which share one context.
// Routes and CLI commands stay thin.

import { randomInt } from 'node:crypto';
import type { Catalog } from '../core/catalog.ts';
import { catalogDiff } from '../core/catalogDiff.ts';
import { CatalogError } from '../core/catalogSchema.ts';
import { mulberry32 } from '../core/random.ts';
import type { Lang } from '../core/reasons.ts';
import type { Attributes } from '../core/types.ts';
import type { Features } from '../learn/learner.ts';
import { decisionLog, type ShadowReport, shadowReport } from '../measure/evaluate.ts';
import { type FeedbackReport, feedbackReport } from '../measure/feedback.ts';
import { type JourneyReport, journeyReport } from '../measure/journey.ts';
import { type KpiReport, type KpiSeries, kpiReport, kpiSeries } from '../measure/kpis.ts';
import type { KpiDimension, Store, StoredCatalog, TimelineKind } from '../store/store.ts';
import { StoreUnavailableError } from '../store/unavailable.ts';
import type { DecideRequest, EngineOptions, EventInput, OutcomeRequest } from './api.ts';
import { type CatalogAudit, Catalogs } from './catalogs.ts';
import { type EngineContext, modelVersion } from './context.ts';
import { Customers } from './customers.ts';
import { Decisions } from './decisions.ts';
import { EngineError } from './errors.ts';
import { Events } from './events.ts';
import { ModelReports } from './modelReports.ts';
import { ModelRegistry } from './models.ts';
import { Outbound } from './outbound.ts';
import { Outcomes } from './outcomes.ts';
import { ProfileCache } from './profileCache.ts';
import { Retention, type RetentionReport } from './retention.ts';
import { guardStore, StoreHealth } from './storeHealth.ts';
import { WebhookDispatcher } from './webhook.ts';

export type * from './api.ts';
export { OUTBOUND_MAX_ATTEMPTS } from './outbound.ts';
export { CatalogError, EngineError };

/** Who asks for an audited change: the key's id and the request's id (both unknown from the CLI). */
export interface Actor {
  keyId: string | null;
  requestId: string | null;
}

export class Engine {
  private readonly c: EngineContext;
  private readonly catalogs: Catalogs;
  private readonly registry: ModelRegistry;
  private readonly customers: Customers;
  private readonly decisions: Decisions;
  private readonly events: Events;
  private readonly outbound: Outbound;
  private readonly outcomes: Outcomes;
  private readonly reports: ModelReports;
  private readonly retention: Retention | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  /** Whether the store can serve; the engine's store calls fail fast while it cannot. */
  readonly health: StoreHealth;
  readonly store: Store;

  private constructor(store: Store, options: EngineOptions) {
    const clock = options.clock ?? Date.now;
    this.health = new StoreHealth(store, {
      clock,
      ...(options.healthProbeMs === undefined ? {} : { okProbeMs: options.healthProbeMs }),
      ...(options.degradedProbeMs === undefined ? {} : { degradedProbeMs: options.degradedProbeMs }),
    });
    store = guardStore(store, this.health);
    this.store = store;
    const context = {
      store,
      profiles: new ProfileCache(clock),
      clock,
      rng: mulberry32(options.seed ?? randomInt(2 ** 31)),
      log: options.log ?? ((line: string) => console.error(line)),
      webhook: undefined,
    } as { -readonly [K in keyof EngineContext]: EngineContext[K] };
    context.catalogs = new Catalogs(context);
    context.registry = new ModelRegistry(store, () => context.catalogs.active, context.log);
    this.c = context;
    this.catalogs = context.catalogs;
    this.registry = context.registry;
    this.customers = new Customers(context);
    this.decisions = new Decisions(context);
    this.events = new Events(context, this.decisions);
    this.outbound = new Outbound(context);
    this.outcomes = new Outcomes(context);
    this.reports = new ModelReports(context);
    this.retention = options.retention ? new Retention(context, options.retention) : undefined;
  }

  /**
   * Opens an engine on an initialised store. When the store has no catalog yet, `defaultCatalogSource`
   * becomes version 1; without either, opening fails.
   */
  static async open(
    store: Store,
    defaultCatalogSource?: string,
    options: EngineOptions = {},
  ): Promise<Engine> {
    const engine = new Engine(store, options);
    await engine.catalogs.open(defaultCatalogSource);
    for (const channel of options.webhook?.channels ?? []) {
      if (engine.catalog.channels.get(channel)?.direction !== 'outbound')
        throw new EngineError(
          'invalid',
          'webhook.channels',
          `'${channel}' is not an outbound channel of the catalog`,
        );
    }
    await engine.catalogs.rebuildFeaturesIfChanged();
    await engine.registry.open();
    await engine.schedule(options);
    engine.health.start();
    return engine;
  }

  /** The timers: model folds, response-window and retention sweeps, trigger-job recovery, webhook delivery. */
  private async schedule(options: EngineOptions): Promise<void> {
    const every = (ms: number | undefined, fallback: number, job: () => Promise<unknown>, what: string) => {
      const period = ms ?? fallback;
      if (period <= 0) return;
      const timer = setInterval(() => {
        job().catch((error: unknown) => console.error(`${what} failed:`, error));
      }, period);
      timer.unref();
      this.timers.push(timer);
    };
    every(options.checkpointMs, 2000, () => this.checkpoint(), 'model checkpoint');
    every(options.expiryMs, 60_000, () => this.expireResponses(), 'response window sweep');
    const age = options.triggerRecoveryAgeMs ?? 60_000;
    let recovering = false;
    const recover = async () => {
      if (recovering) return;
      recovering = true;
      try {
        const n = await this.recoverTriggerJobs(this.c.clock() - age);
        if (n > 0) console.error(`ran ${n} trigger job(s) left open by a stopped process`);
      } finally {
        recovering = false;
      }
    };
    await recover();
    every(options.triggerRecoveryMs, 60_000, recover, 'trigger recovery');
    const retention = this.retention;
    if (retention && retention.options.sweepMs !== 0) {
      every(retention.options.sweepMs, 10 * 60_000, () => retention.sweep(), 'retention sweep');
      // The first sweep soon after the start, not one period later.
      const first = setTimeout(() => {
        retention.sweep().catch((error: unknown) => console.error('retention sweep failed:', error));
      }, 5000);
      first.unref();
      this.timers.push(first);
    }
    if (options.webhook) {
      const webhook = new WebhookDispatcher(this.store, options.webhook, this.c.clock);
      this.c.webhook = webhook;
      every(options.webhook.pollMs, 1000, () => webhook.deliverDue(), 'webhook delivery');
    }
  }

  /** The engine's clock (epoch ms). */
  now(): number {
    return this.c.clock();
  }

  get activeCatalog(): { stored: StoredCatalog; catalog: Catalog } {
    return { stored: this.catalogs.active.stored, catalog: this.catalogs.active.catalog };
  }

  private get catalog(): Catalog {
    return this.catalogs.catalog;
  }

  // ---- models -------------------------------------------------------------------------------------------

  /** The learner named by the catalog and the number of outcomes learned so far. */
  get modelVersion(): string {
    return modelVersion(this.c);
  }

  /** Folds what was learned into the stored models and takes in what other processes learned. */
  async checkpoint(): Promise<void> {
    await this.registry.fold();
  }

  /** Per action: the learner's report and its maturity (cold < 50 responses ≤ learning < 1,000 ≤ mature). */
  /** What the live model of an action predicts for a learner row (a logged decision's `features`). */
  predict(actionId: string, x: Features): number {
    const live = this.registry.live;
    return live.model(live.keyOf(actionId)).predict(live.modelInput(actionId, x));
  }

  modelReports() {
    return this.reports.modelReports();
  }

  modelList(window: { from?: number | undefined; to?: number | undefined } = {}, maxDecisions?: number) {
    return this.reports.modelList(window, maxDecisions);
  }

  modelReport(actionId: string) {
    return this.reports.modelReport(actionId);
  }

  // ---- catalog ------------------------------------------------------------------------------------------

  /** Activates a new catalog version; the change and its diff go to the audit trail. */
  putCatalog(source: string, actor?: Actor) {
    return this.catalogs.putCatalog(source, this.catalogAudit(actor, 'catalog.put'));
  }

  patchAction(
    actionId: string,
    patch: { lever?: number | undefined; budget?: { maxPerDay?: number; total?: number } | null | undefined },
    actor?: Actor,
  ) {
    return this.catalogs.patchAction(actionId, patch, this.catalogAudit(actor, 'catalog.patch'));
  }

  /** A catalog change's audit entry: the new version and a summary of the differences. */
  private catalogAudit(actor: Actor | undefined, action: string): CatalogAudit {
    return (stored, before, after) =>
      this.auditEntry(actor, action, `catalog v${stored.version}`, catalogDiff(before, after));
  }

  /** An audit trail entry (who: the key and request; what: the action, its target and a summary). */
  private auditEntry(actor: Actor | undefined, action: string, target: string, summary: string) {
    return {
      at: this.c.clock(),
      keyId: actor?.keyId ?? null,
      requestId: actor?.requestId ?? null,
      action,
      target,
      summary,
    };
  }

  /** Appends to the audit trail. */
  async audit(actor: Actor | undefined, action: string, target: string, summary: string): Promise<void> {
    await this.store.appendAudit(this.auditEntry(actor, action, target, summary));
  }

  auditLog(query: Parameters<Store['auditLog']>[0]) {
    return this.store.auditLog(query);
  }

  // ---- customers ----------------------------------------------------------------------------------------

  validateAttributes(attributes: Attributes, field: string): void {
    this.customers.validateAttributes(attributes, field);
  }

  putCustomer(id: string, attributes: Attributes) {
    return this.customers.putCustomer(id, attributes);
  }

  getCustomer(id: string) {
    return this.customers.getCustomer(id);
  }

  /** GDPR erasure; recorded in the audit trail with what was removed. */
  async deleteCustomer(id: string, actor?: Actor) {
    return this.customers.deleteCustomer(id, (report) =>
      this.auditEntry(
        actor,
        'customer.erase',
        `customer ${id}`,
        `removed profile ${report.customer ? 'yes' : 'no'}, ${report.decisions} decisions, ${report.outcomes} outcomes, ${report.interactions} interactions, ${report.events} events`,
      ),
    );
  }

  /** Everything held about a customer, as one document (GDPR access); 404 after an erasure. Audited. */
  async exportCustomer(id: string, actor?: Actor) {
    const doc = await this.customers.exportCustomer(id);
    await this.audit(
      actor,
      'customer.export',
      `customer ${id}`,
      `${doc.events.length} events, ${doc.decisions.length} decisions, ${doc.outbound.length} outbound messages`,
    );
    return doc;
  }

  timeline(
    customerId: string,
    query: { limit: number; before?: string | undefined; kinds?: TimelineKind[]; from?: number; to?: number },
  ) {
    return this.customers.timeline(customerId, query);
  }

  customerFeatures(customerId: string) {
    return this.customers.customerFeatures(customerId);
  }

  // ---- decisions ----------------------------------------------------------------------------------------

  decide(request: DecideRequest) {
    return this.decisions.decide(request);
  }

  recentDecisions(limit: number) {
    return this.decisions.recentDecisions(limit);
  }

  explain(id: string, lang?: Lang) {
    return this.decisions.explain(id, lang);
  }

  getDecision(id: string) {
    return this.decisions.getDecision(id);
  }

  // ---- events and triggers ------------------------------------------------------------------------------

  ingestEvents(
    inputs: readonly EventInput[],
    fieldPrefix: (i: number) => string,
    options: { setting?: { key: string; value: string }; checked?: boolean } = {},
  ) {
    return this.events.ingestEvents(inputs, fieldPrefix, options);
  }

  recoverTriggerJobs(createdBefore: number) {
    return this.events.recoverTriggerJobs(createdBefore);
  }

  eventProblem(e: EventInput, now = this.c.clock()) {
    return this.events.eventProblem(e, now);
  }

  // ---- outbound queue -----------------------------------------------------------------------------------

  claimOutbound(channel: string, limit: number, leaseMs: number) {
    return this.outbound.claimOutbound(channel, limit, leaseMs);
  }

  settleOutbound(id: number, claimToken: string, release?: { retryInMs: number; error: string }) {
    return this.outbound.settleOutbound(id, claimToken, release);
  }

  outboundCounts() {
    return this.outbound.outboundCounts();
  }

  // ---- outcomes -----------------------------------------------------------------------------------------

  recordOutcome(request: OutcomeRequest) {
    return this.outcomes.recordOutcome(request);
  }

  expireResponses() {
    return this.outcomes.expireResponses();
  }

  /**
   * Deletes the decisions older than the retention period (with their choices, outcomes and outbound messages);
   * undefined when the engine has no retention. Runs on a timer too.
   */
  sweepRetention(): Promise<RetentionReport> | undefined {
    return this.retention?.sweep();
  }

  // ---- measurement --------------------------------------------------------------------------------------

  /** KPIs over [from, to) grouped by `by`, and the adaptive arm's lift per group of the other dimensions. */
  kpis(query: { from: number; to: number; by: readonly KpiDimension[] }): Promise<KpiReport> {
    return kpiReport(this.store, query);
  }

  /** Accept rate per arm over time and the lift over control (the overview plot). */
  kpiSeries(query: { from: number; to: number; stepMs: number }): Promise<KpiSeries> {
    return kpiSeries(this.store, query);
  }

  /** Contacts per customer per channel, and triggered contacts from event to answer. */
  journey(range: { from: number; to: number }): Promise<JourneyReport> {
    return journeyReport(this.store, { ...range, positive: this.catalog.definition.learning.positive });
  }

  /** NPS and CSAT from the survey events the catalog declares (events.surveys). */
  feedback(range: { from: number; to: number }): Promise<FeedbackReport> {
    return feedbackReport(this.store, this.catalog.definition.events.surveys, range);
  }

  /** Shadow mode: the candidate policy's estimated first-slot accept rate against production's, from the log. */
  shadowReport(range: { from: number; to: number }): Promise<ShadowReport> {
    const positive = this.catalog.definition.learning.positive;
    return shadowReport(decisionLog(this.store, { ...range, positive }));
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.health.stop();
    await this.c.webhook?.idle();
    // What was learned but not folded is replayed from the outcome log at the next start.
    await this.checkpoint().catch((error: unknown) => {
      if (!(error instanceof StoreUnavailableError)) throw error;
    });
  }
}
