// The one place that joins the core, the learners and the store. Routes and CLI commands stay thin.

import { randomInt, randomUUID } from 'node:crypto';
import { parseDocument } from 'yaml';
import { type Arm, assignArm } from '../core/arms.ts';
import {
  actionFeatures,
  type Catalog,
  CatalogError,
  type CompiledAction,
  type CompiledTrigger,
  compileCatalog,
  parseCatalogSource,
} from '../core/catalog.ts';
import { capViolations, DAY_MS, hasDecisionCap, historyRequirement } from '../core/contactPolicy.ts';
import { decide } from '../core/decide.ts';
import { applyEvent, type CustomerEvent, eventIssues, featureValues } from '../core/events.ts';
import { type CandidateExplanation, explainDecision } from '../core/explain.ts';
import { type PolicySpec, policyDistribution, policyExplorer } from '../core/policy.ts';
import { mulberry32 } from '../core/random.ts';
import { matchesType, ruleErrorMessage } from '../core/rules.ts';
import type {
  Attributes,
  ChosenAction,
  Customer,
  DroppedCandidate,
  InteractionRecord,
  OutcomeType,
  RecordedOutcome,
  ScoredCandidate,
} from '../core/types.ts';
import { EpsilonGreedy } from '../learn/explore/epsilonGreedy.ts';
import type { Explorer } from '../learn/explorer.ts';
import type { Features, Learner } from '../learn/learner.ts';
import { EXPLORERS } from '../learn/registry.ts';
import { rewardOfFlags } from '../measure/answers.ts';
import { decisionLog, type ShadowReport, shadowReport } from '../measure/evaluate.ts';
import { type FeedbackReport, feedbackReport } from '../measure/feedback.ts';
import { type JourneyReport, journeyReport } from '../measure/journey.ts';
import { type KpiReport, type KpiSeries, kpiReport, kpiSeries } from '../measure/kpis.ts';
import { auc, averagePrecision, calibrationTable, logLoss } from '../measure/modelQuality.ts';
import type {
  DecisionRecord,
  ErasureReport,
  KpiDimension,
  OutboundItem,
  OutboundMessage,
  OutcomeRecord,
  ShadowRecord,
  Store,
  StoredCatalog,
  TimelineCursor,
  TimelineEntry,
  TimelineKind,
  TriggerJob,
  TriggerRef,
} from '../store/store.ts';
import { ModelRegistry, rewardOf, SHADOW } from './models.ts';
import { WebhookDispatcher, type WebhookOptions } from './webhook.ts';

/** An error a caller made; `field` names the input at fault (`body.channel`, `params.id`). */
export class EngineError extends Error {
  constructor(
    readonly code: 'invalid' | 'not_found' | 'conflict' | 'unavailable',
    readonly field: string | undefined,
    message: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'EngineError';
  }
}

interface ActiveCatalog {
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

/** A decision is arbitrated at most this often when its commit finds limits taken meanwhile. */
const MAX_COMMIT_ATTEMPTS = 4;

/** How long a recovering process holds the trigger jobs it claimed before another may take them. */
const TRIGGER_JOB_LEASE_MS = 5 * 60_000;

/** A message claimed this often without an acknowledgement is given up (status failed). */
export const OUTBOUND_MAX_ATTEMPTS = 10;

/** What a trigger did with one event. */
export interface TriggeredDecision {
  trigger: string;
  /** The firing event's index in the request and its sequence number. */
  index: number;
  eventSeq: number;
  customerId: string;
  decisionId?: string;
  /** The chosen actions (none when contact policies or rules left nothing to send). */
  actions?: string[];
  /** Whether a message went to the outbound queue. */
  queued?: boolean;
  /** Why no decision was made. */
  skipped?: string;
}

export interface EngineOptions {
  clock?: () => number;
  /** Seed of the exploration random source; a random seed when omitted. */
  seed?: number;
  /** How often dirty model states are written to the store (ms). Outcomes are durable anyway. */
  checkpointMs?: number;
  /** How often response windows are swept for expired choices (ms); 0 turns the sweep off. */
  expiryMs?: number;
  /** Push outbound messages to a webhook instead of (for its channels) the pull queue. */
  webhook?: WebhookOptions;
  /**
   * How often trigger jobs left open by a stopped process are run (ms; 0: only when the engine opens), and how
   * old a job must be to count as left (ms): a running request settles its own jobs within milliseconds.
   */
  triggerRecoveryMs?: number;
  triggerRecoveryAgeMs?: number;
}

export interface DecideRequest {
  customerId?: string | undefined;
  channel: string;
  context?: Attributes | undefined;
  limit?: number | undefined;
  /** Also return why each candidate was chosen, ranked out or dropped (computed with the deciding models). */
  explain?: boolean | undefined;
}

export interface DecisionExplanation {
  decisionId: string;
  arm: Arm;
  /** The model version the decision was made with. */
  modelVersion: string;
  /**
   * The model version the feature contributions were computed with: the same as `modelVersion` inline in a
   * decision; later, the current models (they may have learned since; scores are always the logged ones).
   */
  explainedWith: string;
  candidates: CandidateExplanation[];
}

export interface DecisionResponse {
  decisionId: string;
  customerId: string | null;
  channel: string;
  catalogVersion: number;
  modelVersion: string;
  /** The measurement arm: adaptive, control (random) or businessRule. */
  arm: Arm;
  actions: Array<ChosenAction & { name: string; description: string }>;
  explanation?: DecisionExplanation;
}

/** One customer event as callers send it (`timestamp` already parsed to epoch ms). */
export interface EventInput {
  customerId: string;
  type: string;
  at: number;
  channel?: string | undefined;
  payload?: Attributes | undefined;
}

export interface OutcomeRequest {
  decisionId: string;
  actionId: string;
  outcome: OutcomeType;
  value?: number | undefined;
}

export class Engine {
  /** The active catalog and what follows from it, replaced as one so a decision never mixes two versions. */
  private active!: ActiveCatalog;
  private readonly registry: ModelRegistry;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly clock: () => number;
  private readonly rng: () => number;
  private webhook: WebhookDispatcher | undefined;

  private constructor(
    readonly store: Store,
    options: EngineOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.rng = mulberry32(options.seed ?? randomInt(2 ** 31));
    this.registry = new ModelRegistry(store, () => this.active);
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
    let stored = await store.activeCatalog();
    if (!stored) {
      if (defaultCatalogSource === undefined)
        throw new EngineError('unavailable', undefined, 'the store holds no catalog');
      const compiled = compileCatalog(parseCatalogSource(defaultCatalogSource));
      stored = await store.addCatalog(defaultCatalogSource, compiled.version, engine.clock());
    }
    engine.activate(stored, compileCatalog(parseCatalogSource(stored.source)));
    for (const channel of options.webhook?.channels ?? []) {
      if (engine.catalog.channels.get(channel)?.direction !== 'outbound')
        throw new EngineError(
          'invalid',
          'webhook.channels',
          `'${channel}' is not an outbound channel of the catalog`,
        );
    }
    await engine.rebuildFeaturesIfChanged();
    await engine.registry.open();
    const every = (ms: number | undefined, fallback: number, job: () => Promise<unknown>, what: string) => {
      const period = ms ?? fallback;
      if (period <= 0) return;
      const timer = setInterval(() => {
        job().catch((error: unknown) => console.error(`${what} failed:`, error));
      }, period);
      timer.unref();
      engine.timers.push(timer);
    };
    every(options.checkpointMs, 2000, () => engine.checkpoint(), 'model checkpoint');
    every(options.expiryMs, 60_000, () => engine.expireResponses(), 'response window sweep');
    const age = options.triggerRecoveryAgeMs ?? 60_000;
    let recovering = false;
    const recover = async () => {
      if (recovering) return;
      recovering = true;
      try {
        const n = await engine.recoverTriggerJobs(engine.clock() - age);
        if (n > 0) console.error(`ran ${n} trigger job(s) left open by a stopped process`);
      } finally {
        recovering = false;
      }
    };
    await recover();
    every(options.triggerRecoveryMs, 60_000, recover, 'trigger recovery');
    if (options.webhook) {
      const webhook = new WebhookDispatcher(store, options.webhook, engine.clock);
      engine.webhook = webhook;
      every(options.webhook.pollMs, 1000, () => webhook.deliverDue(), 'webhook delivery');
    }
    return engine;
  }

  private activate(stored: StoredCatalog, catalog: Catalog) {
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
      actionFeatures: new Map(
        catalog.actions.flatMap((a) => (a.model.shared ? [[a.id, actionFeatures(a)] as const] : [])),
      ),
      shadow: catalog.definition.measurement.shadow && {
        spec: catalog.definition.measurement.shadow,
        explorer: policyExplorer(catalog.definition.measurement.shadow),
      },
    };
  }

  /** The engine's clock (epoch ms). */
  now(): number {
    return this.clock();
  }

  get activeCatalog(): { stored: StoredCatalog; catalog: Catalog } {
    return { stored: this.active.stored, catalog: this.active.catalog };
  }

  private get catalog(): Catalog {
    return this.active.catalog;
  }

  // ---- models -------------------------------------------------------------------------------------------
  // A model key is an action id (the action's own model) or `shared:…` (one model for several actions); the
  // registry keeps them in step with the store and with other processes (models.ts).

  private model(key: string): Learner {
    return this.registry.live.model(key);
  }

  /** The learner named by the catalog and the number of outcomes learned so far. */
  get modelVersion(): string {
    return `${this.catalog.definition.learning.learner}#${this.registry.learnedSeq}`;
  }

  /** Folds what was learned into the stored models and takes in what other processes learned. */
  async checkpoint(): Promise<void> {
    await this.registry.fold();
  }

  /** Per action: the learner's report and its maturity (cold < 50 responses ≤ learning < 1,000 ≤ mature). */
  modelReports() {
    return this.catalog.actions.map((a) => this.modelSummary(a));
  }

  private modelSummary(a: CompiledAction) {
    const report = this.model(a.model.key).report();
    const maturity: 'cold' | 'learning' | 'mature' =
      report.responses < 50 ? 'cold' : report.responses < 1000 ? 'learning' : 'mature';
    return { actionId: a.id, model: a.model.key, shared: a.model.shared, ...report, maturity };
  }

  /**
   * One action's model report: the learner's figures, plus progressive quality from the decision log — each
   * logged propensity was predicted before its outcome was known — per action, never pooled across actions.
   */
  async modelReport(actionId: string) {
    const action = this.catalog.actionsById.get(actionId);
    if (!action) throw new EngineError('not_found', 'params.id', `unknown action '${actionId}'`);
    const model = this.model(action.model.key);
    const summary = this.modelSummary(action);
    const scores: number[] = [];
    const labels: number[] = [];
    let after: { at: number; decisionId: string; actionId: string } | undefined;
    const positive = this.catalog.definition.learning.positive;
    for (;;) {
      const page = await this.store.choiceLog({
        from: 0,
        to: this.clock() + 1,
        actionId,
        limit: 5000,
        after,
      });
      for (const row of page) {
        const reward = rewardOfFlags(row.flags, positive);
        if (reward === null) continue;
        scores.push(row.propensity);
        labels.push(reward);
      }
      if (page.length < 5000) break;
      after = page[page.length - 1];
    }
    return {
      ...summary,
      answered: scores.length,
      auc: scores.length > 0 ? auc(scores, labels) : null,
      averagePrecision: scores.length > 0 ? averagePrecision(scores, labels) : null,
      logLoss: scores.length > 0 ? logLoss(scores, labels) : null,
      calibration: calibrationTable(scores, labels),
      predictors: model.importance?.() ?? [],
    };
  }

  // ---- catalog ------------------------------------------------------------------------------------------

  /** Validates and stores a new catalog version; identical content keeps the active version. */
  async putCatalog(source: string): Promise<{ stored: StoredCatalog; created: boolean }> {
    const compiled = compileCatalog(parseCatalogSource(source));
    if (compiled.version === this.active.stored.hash) return { stored: this.active.stored, created: false };
    const stored = await this.store.addCatalog(source, compiled.version, this.clock());
    this.activate(stored, compiled);
    await this.rebuildFeaturesIfChanged();
    await this.registry.rebuildChanged();
    return { stored, created: true };
  }

  /**
   * Feature states are kept per declaration; when the declarations change (a new feature, another window),
   * every state is recomputed from the stored events, so a new feature also covers the past.
   */
  private async rebuildFeaturesIfChanged(): Promise<void> {
    const features = this.catalog.definition.events.features;
    const key = JSON.stringify(Object.entries(features).sort(([a], [b]) => a.localeCompare(b)));
    if ((await this.store.getSetting('features.declarations')) === key) return;
    const config = this.catalog.definition.events;
    await this.store.rebuildFeatureStates((state, event) => applyEvent(config, state, event));
    await this.store.setSetting('features.declarations', key);
  }

  /**
   * Changes one action's lever and/or budget: a new catalog version made from the active source, edited in
   * place so that comments and layout of a YAML catalog survive.
   */
  async patchAction(
    actionId: string,
    patch: { lever?: number | undefined; budget?: { maxPerDay?: number; total?: number } | null | undefined },
  ) {
    const index = this.catalog.definition.actions.findIndex((a) => a.id === actionId);
    if (index < 0) throw new EngineError('not_found', 'params.id', `unknown action '${actionId}'`);
    const doc = parseDocument(this.active.stored.source);
    if (patch.lever !== undefined) doc.setIn(['actions', index, 'lever'], patch.lever);
    if (patch.budget === null) doc.deleteIn(['actions', index, 'budget']);
    else if (patch.budget !== undefined)
      doc.setIn(['actions', index, 'budget'], doc.createNode(patch.budget));
    return this.putCatalog(doc.toString());
  }

  // ---- customers ----------------------------------------------------------------------------------------

  /** Checks declared attributes against the catalog schema; undeclared attributes are kept as they are. */
  validateAttributes(attributes: Attributes, field: string): void {
    const declared = this.catalog.ruleSchema.customer;
    for (const [name, value] of Object.entries(attributes)) {
      const type = declared[name];
      if (!type || value === null) continue;
      if (!matchesType(value, type)) throw new EngineError('invalid', `${field}.${name}`, `expected ${type}`);
    }
  }

  async putCustomer(id: string, attributes: Attributes) {
    this.validateAttributes(attributes, 'body.attributes');
    return this.store.putCustomer(id, attributes, this.clock());
  }

  async getCustomer(id: string): Promise<Customer> {
    const customer = await this.store.getCustomer(id);
    if (!customer) throw new EngineError('not_found', 'params.id', `unknown customer '${id}'`);
    return customer;
  }

  async deleteCustomer(id: string): Promise<ErasureReport> {
    const report = await this.store.deleteCustomer(id);
    if (!report.customer && report.decisions === 0 && report.interactions === 0) {
      throw new EngineError('not_found', 'params.id', `unknown customer '${id}'`);
    }
    return report;
  }

  // ---- decisions ----------------------------------------------------------------------------------------

  async decide(request: DecideRequest): Promise<DecisionResponse> {
    return this.decideWith(request);
  }

  /** A decision; a trigger's decisions also carry the trigger, are restricted to its actions and queue a message. */
  private async decideWith(
    request: DecideRequest,
    trigger?: TriggerRef & { only: CompiledTrigger; job?: number },
  ) {
    const { catalog, stored, explorer, history: need, budgeted } = this.active;
    if (!catalog.channels.has(request.channel)) {
      throw new EngineError(
        'invalid',
        'body.channel',
        `unknown channel '${request.channel}' (known: ${[...catalog.channels.keys()].join(', ')})`,
      );
    }
    const limit = request.limit ?? catalog.definition.arbitration.defaultLimit;
    const maxLimit = catalog.definition.arbitration.maxLimit;
    if (limit > maxLimit) throw new EngineError('invalid', 'body.limit', `at most ${maxLimit}`);
    const now = this.clock();
    let customer: Attributes = {};
    const customerId = request.customerId ?? null;
    if (customerId !== null) {
      const found = await this.store.getCustomer(customerId);
      if (!found) throw new EngineError('not_found', 'body.customerId', `unknown customer '${customerId}'`);
      customer = found.attributes;
    }
    const events = catalog.definition.events;
    const features =
      customerId !== null && Object.keys(events.features).length > 0
        ? featureValues(events, await this.store.featureState(customerId), now)
        : {};
    const arm = assignArm(catalog.arms, customerId, request.channel, now, this.rng);
    const since = now - need.days * DAY_MS;
    const day = Math.floor(now / DAY_MS);
    // Budgets and caps are read here and reserved when the decision commits. A commit that finds a limit
    // taken meanwhile (a decision made at the same time) is refused; the decision is then made again from
    // fresh counts without the refused actions, so what is answered and logged never exceeds a limit and the
    // logged probabilities are those of the arbitration that was committed.
    const excluded = new Map<string, Pick<DroppedCandidate, 'stage' | 'reason'>>();
    for (let attempt = 1; ; attempt++) {
      const history =
        customerId === null ? [] : await this.store.loadHistory(customerId, since, need.acceptsForever);
      const budgetUsage = await this.store.budgetUsage(budgeted, day);
      // The last attempt leaves out every action under a budget or a cap on decisions, so it commits.
      const last = attempt === MAX_COMMIT_ATTEMPTS;
      if (last) {
        for (const a of catalog.actions) {
          if (a.budget || hasDecisionCap(catalog, a, request.channel)) {
            if (!excluded.has(a.id))
              excluded.set(a.id, { stage: 'budget', reason: 'limits contended: left out to commit' });
          }
        }
      }
      const result = decide({
        arm,
        catalog,
        channel: request.channel,
        customer,
        features,
        context: request.context ?? {},
        history,
        budgetUsage,
        limit,
        now,
        rng: this.rng,
        propensity: (action, features) => {
          const model = this.model(action.model.key);
          const x = this.registry.live.modelInput(action.id, features);
          const logitSd = explorer.kind === 'thompson' ? model.logitSd(x) : 0;
          return { propensity: model.predict(x), logitSd, evidence: model.responses };
        },
        round: this.registry.learnedSeq,
        explorer,
        ...(trigger
          ? {
              only: {
                allows: trigger.only.allows,
                reason: `not among the actions of trigger '${trigger.id}'`,
              },
            }
          : {}),
        excluded,
      });
      const decisionId = randomUUID();
      const modelVersion = this.modelVersion;
      const shadow = this.shadowOf(result.candidates, result.chosen[0]?.actionId, result.features);
      const record: DecisionRecord = {
        id: decisionId,
        customerId,
        channel: request.channel,
        context: request.context ?? {},
        at: now,
        catalogVersion: stored.version,
        modelVersion,
        arm,
        features: result.features,
        candidates: result.candidates,
        dropped: result.dropped,
        chosen: result.chosen.map((c) => ({
          actionId: c.actionId,
          issue: c.issue,
          group: c.group,
          rank: c.rank,
          probability: c.probability,
          propensity: c.propensity,
          priority: c.priority,
          treatment: c.treatment,
        })),
        ...(shadow ? { shadow } : {}),
        ...(trigger
          ? {
              trigger: {
                id: trigger.id,
                eventSeq: trigger.eventSeq,
                eventType: trigger.eventType,
                eventAt: trigger.eventAt,
              },
            }
          : {}),
      };
      const contacts: InteractionRecord[] = result.chosen.map((c) => ({
        kind: 'contact',
        actionId: c.actionId,
        issue: c.issue,
        group: c.group,
        channel: request.channel,
        at: now,
      }));
      const outbound: OutboundMessage | undefined =
        record.trigger && customerId !== null && result.chosen.length > 0
          ? {
              decisionId,
              customerId,
              channel: request.channel,
              trigger: record.trigger,
              actions: result.chosen.map((c) => ({
                actionId: c.actionId,
                name: catalog.actionsById.get(c.actionId)!.name,
                issue: c.issue,
                group: c.group,
                rank: c.rank,
                treatment: c.treatment as Record<string, unknown>,
              })),
              createdAt: now,
            }
          : undefined;
      const chosenIds = result.chosen.map((c) => c.actionId);
      const budgets = result.chosen.flatMap((c) => {
        const budget = catalog.actionsById.get(c.actionId)?.budget;
        return budget ? [{ actionId: c.actionId, maxPerDay: budget.maxPerDay, total: budget.total }] : [];
      });
      const capped =
        customerId !== null &&
        result.chosen.some((c) =>
          hasDecisionCap(catalog, catalog.actionsById.get(c.actionId)!, request.channel),
        );
      const committed = await this.store.commitDecision({
        decision: record,
        contacts,
        outbound,
        settlesJob: trigger?.job,
        reserve:
          budgets.length > 0 || capped
            ? {
                budgets,
                ...(capped
                  ? {
                      caps: {
                        since,
                        acceptsForever: need.acceptsForever,
                        violations: (h) => capViolations(catalog, chosenIds, h, request.channel, now),
                      },
                    }
                  : {}),
              }
            : undefined,
      });
      if (!committed.committed) {
        for (const a of committed.budgets)
          excluded.set(a, { stage: 'budget', reason: 'budget taken by decisions made at the same time' });
        for (const a of committed.caps)
          excluded.set(a, {
            stage: 'contactPolicy',
            reason: 'contact cap reached by decisions made at the same time',
          });
        continue;
      }
      return this.decisionResponse(record, result.chosen, request.explain === true);
    }
  }

  private decisionResponse(
    record: DecisionRecord,
    chosen: readonly ChosenAction[],
    explain: boolean,
  ): DecisionResponse {
    const catalog = this.catalog;
    const { id: decisionId, customerId, channel, catalogVersion, modelVersion, arm } = record;
    return {
      decisionId,
      customerId,
      channel,
      catalogVersion,
      modelVersion,
      arm,
      actions: chosen.map((c) => {
        const action = catalog.actionsById.get(c.actionId);
        return { ...c, name: action?.name ?? c.actionId, description: action?.description ?? '' };
      }),
      ...(explain ? { explanation: this.explanationOf(record) } : {}),
    };
  }

  /**
   * Shadow mode: what the candidate policy would have put in the first slot, with the numbers that off-policy
   * evaluation needs (its probability of production's choice, its expected and modelled accept rates).
   */
  private shadowOf(
    candidates: readonly ScoredCandidate[],
    top: string | undefined,
    x: Features,
  ): ShadowRecord | undefined {
    const shadow = this.active.shadow;
    if (!shadow || top === undefined) return undefined;
    const needsSd = shadow.spec.explorer === 'thompson';
    const dist = policyDistribution(
      shadow.spec,
      shadow.explorer,
      candidates,
      (c) => {
        const m = this.model(SHADOW + c.actionId);
        return { propensity: m.predict(x), logitSd: needsSd ? m.logitSd(x) : 0, evidence: m.responses };
      },
      this.rng,
      this.registry.learnedSeq,
    );
    if (!dist) return undefined;
    return {
      policy: shadow.spec.name,
      choice: dist.choice,
      probability: dist.probabilities.get(top) ?? 0,
      expectedReward: dist.expectedReward,
      modelledReward: dist.propensities.get(top) ?? 0,
    };
  }

  recentDecisions(limit: number) {
    return this.store.recentDecisions(limit);
  }

  /** Why each candidate of a logged decision was chosen, ranked out or dropped. */
  async explain(id: string): Promise<DecisionExplanation> {
    return this.explanationOf(await this.loggedDecision(id));
  }

  /** A logged decision, or a 404 naming the id. */
  private async loggedDecision(id: string): Promise<DecisionRecord> {
    const decision = await this.store.getDecision(id);
    if (!decision) throw new EngineError('not_found', 'params.id', `unknown decision '${id}'`);
    return decision;
  }

  private explanationOf(d: DecisionRecord): DecisionExplanation {
    return {
      decisionId: d.id,
      arm: d.arm,
      modelVersion: d.modelVersion,
      explainedWith: this.modelVersion,
      candidates: explainDecision({
        arm: d.arm,
        candidates: d.candidates,
        dropped: d.dropped,
        chosen: d.chosen,
        contributions: (actionId) => {
          // Actions removed from the catalog since have no model to ask.
          if (!this.catalog.actionsById.has(actionId)) return undefined;
          return this.model(this.registry.live.keyOf(actionId)).explain?.(
            this.registry.live.modelInput(actionId, d.features),
          );
        },
      }),
    };
  }

  async getDecision(id: string): Promise<DecisionRecord & { outcomes: OutcomeRecord[] }> {
    const decision = await this.loggedDecision(id);
    return { ...decision, outcomes: await this.store.outcomesForDecision(id) };
  }

  // ---- events -------------------------------------------------------------------------------------------

  /**
   * Validates a batch of events against the declared types (all or nothing: one bad event rejects the batch,
   * naming it), stores them and updates each customer's derived features in the same transaction.
   * `fieldPrefix(i)` names event i in errors (`body`, `body[3]`).
   */
  /**
   * Stores events (all or none), updates the derived features in the same transaction, then runs the triggers
   * the events fire: each makes a decision for its outbound channel, which contact policies govern like any
   * other, and queues the chosen actions for delivery. `checked`: the caller ran `eventProblem` on each event
   * against the active catalog already (an import).
   */
  async ingestEvents(
    inputs: readonly EventInput[],
    fieldPrefix: (i: number) => string,
    options: { setting?: { key: string; value: string }; checked?: boolean } = {},
  ): Promise<{ seqs: number[]; triggered: TriggeredDecision[] }> {
    const catalog = this.catalog;
    const now = this.clock();
    const events = inputs.map((e, i): CustomerEvent => {
      const problem = options.checked ? undefined : this.eventProblem(e, now);
      if (problem) throw new EngineError('invalid', `${fieldPrefix(i)}.${problem.field}`, problem.message);
      return {
        customerId: e.customerId,
        type: e.type,
        at: e.at,
        channel: e.channel,
        payload: e.payload ?? {},
      };
    });
    // Trigger conditions see the features as this event left them, so they are read inside the transaction
    // and stored with a job per fired trigger: the jobs commit with the events, and a crash before their
    // decisions leaves them for recoverTriggerJobs.
    const neededByType = new Map<string, Set<string>>();
    const { seqs, jobs } = await this.store.appendEvents(
      events,
      now,
      (state, event) => {
        // The declarations at commit time: a catalog change that rebuilt the states meanwhile must not be undone.
        const config = this.catalog.definition.events;
        applyEvent(config, state, event);
        const triggers = catalog.triggersByEvent.get(event.type);
        if (!triggers) return undefined;
        let needed = neededByType.get(event.type);
        if (!needed) {
          needed = new Set(triggers.flatMap((t) => [...t.features]));
          neededByType.set(event.type, needed);
        }
        const features = needed.size > 0 ? featureValues(config, state, now, needed) : {};
        return triggers.map((t) => ({ trigger: t.id, features }));
      },
      options.setting,
    );
    const triggered: TriggeredDecision[] = [];
    if (jobs.length === 0) return { seqs, triggered };
    const indexOf = new Map(seqs.map((seq, i) => [seq, i]));
    const outcomes = await this.runTriggerJobs(jobs);
    jobs.forEach((job, k) => {
      const outcome = outcomes[k];
      if (outcome) triggered.push({ ...outcome, index: indexOf.get(job.eventSeq)! });
    });
    return { seqs, triggered };
  }

  /** Runs trigger jobs in order; those that end without a decision are settled together afterwards. */
  private async runTriggerJobs(
    jobs: readonly TriggerJob[],
  ): Promise<Array<Omit<TriggeredDecision, 'index'> | undefined>> {
    const settled: number[] = [];
    const outcomes: Array<Omit<TriggeredDecision, 'index'> | undefined> = [];
    for (const job of jobs) outcomes.push(await this.runTriggerJob(job, settled));
    await this.store.finishTriggerJobs(settled);
    return outcomes;
  }

  /**
   * Decides for one fired trigger. A decision settles the job in its own transaction; a job that ends without one
   * (condition false, no decision possible) goes to `settled`, for runTriggerJobs to settle with the others in
   * one write (should the process stop first, the job is simply evaluated again). Returns what happened (undefined:
   * the condition was false).
   */
  private async runTriggerJob(
    job: TriggerJob,
    settled: number[],
  ): Promise<Omit<TriggeredDecision, 'index'> | undefined> {
    const base = { trigger: job.trigger, eventSeq: job.eventSeq, customerId: job.customerId };
    const skip = (why: string) => {
      settled.push(job.id);
      return { ...base, skipped: why };
    };
    const t = this.catalog.triggersByEvent.get(job.event.type)?.find((x) => x.id === job.trigger);
    if (!t) return skip('trigger no longer in the catalog');
    const customer = await this.store.getCustomer(job.customerId);
    if (!customer) return skip('unknown customer (no profile)');
    const { event } = job;
    if (t.when) {
      let fires: boolean;
      try {
        fires = t.when.evaluate({
          customer: customer.attributes,
          context: t.context,
          features: job.features,
          channel: t.channel,
          event: { type: event.type, channel: event.channel ?? '', payload: event.payload },
        });
      } catch (error) {
        return skip(`condition failed: ${ruleErrorMessage(error)}`);
      }
      if (!fires) {
        settled.push(job.id);
        return undefined;
      }
    }
    let decision: DecisionResponse;
    try {
      decision = await this.decideWith(
        { customerId: job.customerId, channel: t.channel, context: t.context, limit: t.limit },
        { id: t.id, eventSeq: job.eventSeq, eventType: event.type, eventAt: event.at, only: t, job: job.id },
      );
    } catch (error) {
      // The events are stored already: a failed trigger decision is reported, not turned into an error
      // that would make the sender retry (and store the events twice).
      return skip(`decision failed: ${(error as Error).message}`);
    }
    return {
      ...base,
      decisionId: decision.decisionId,
      actions: decision.actions.map((a) => a.actionId),
      queued: decision.actions.length > 0,
    };
  }

  /**
   * Runs the trigger jobs created before `createdBefore` that are still open: their events were stored but the
   * process stopped before their decisions were logged. Returns how many ran.
   */
  async recoverTriggerJobs(createdBefore: number): Promise<number> {
    let done = 0;
    for (;;) {
      const jobs = await this.store.claimTriggerJobs({
        createdBefore,
        limit: 100,
        now: this.clock(),
        leaseMs: TRIGGER_JOB_LEASE_MS,
      });
      await this.runTriggerJobs(jobs);
      done += jobs.length;
      if (jobs.length < 100) return done;
    }
  }

  /** What is wrong with an event (field relative to the event), or undefined when it can be stored. */
  eventProblem(e: EventInput, now = this.clock()): { field: string; message: string } | undefined {
    const config = this.catalog.definition.events;
    const problem = eventIssues(config, { type: e.type, payload: e.payload ?? {} })[0];
    if (problem) return problem;
    if (!Number.isFinite(e.at)) return { field: 'timestamp', message: 'expected an ISO 8601 date-time' };
    if (e.at > now + config.maxFutureMinutes * 60_000)
      return { field: 'timestamp', message: `more than ${config.maxFutureMinutes} minutes in the future` };
    return undefined;
  }

  // ---- outbound queue -----------------------------------------------------------------------------------

  /** Checks that a channel can be claimed from the queue (outbound, not delivered by the webhook). */
  private queueChannel(channel: string, field: string): void {
    const ch = this.catalog.channels.get(channel);
    if (!ch) throw new EngineError('invalid', field, `unknown channel '${channel}'`);
    if (ch.direction !== 'outbound')
      throw new EngineError('invalid', field, `'${channel}' is not an outbound channel`);
    if (this.webhook?.delivers(channel))
      throw new EngineError('conflict', field, `'${channel}' is delivered by the webhook, not the queue`);
  }

  /** Claims due outbound messages of a channel for `leaseMs`; acknowledge each with its claim token. */
  async claimOutbound(channel: string, limit: number, leaseMs: number): Promise<OutboundItem[]> {
    this.queueChannel(channel, 'querystring.channel');
    return this.store.claimOutbound({
      channels: [channel],
      limit,
      leaseMs,
      now: this.clock(),
      maxAttempts: OUTBOUND_MAX_ATTEMPTS,
    });
  }

  /** Acknowledges (delivered) or releases (retry later) a claimed message. */
  async settleOutbound(id: number, claimToken: string, release?: { retryInMs: number; error: string }) {
    const now = this.clock();
    const result = release
      ? await this.store.releaseOutbound(id, claimToken, now + release.retryInMs, release.error)
      : await this.store.ackOutbound(id, claimToken, now);
    if (result === 'unknown') throw new EngineError('not_found', 'params.id', `no outbound message ${id}`);
    if (result === 'not_claimed')
      throw new EngineError('conflict', 'params.id', `message ${id} is not claimed (already settled?)`);
    if (result === 'wrong_token')
      throw new EngineError(
        'conflict',
        'body.claimToken',
        'not the current claim (the lease ran out and it was claimed again)',
      );
  }

  outboundCounts() {
    return this.store.outboundCounts();
  }

  /**
   * A customer's timeline page: events, decisions and outcomes, newest first. The cursor is opaque to callers
   * (base64url of the last entry's position).
   */
  async timeline(
    customerId: string,
    query: { limit: number; before?: string | undefined; kinds?: TimelineKind[]; from?: number; to?: number },
  ): Promise<{ entries: TimelineEntry[]; next: string | null }> {
    let before: TimelineCursor | undefined;
    if (query.before !== undefined) {
      try {
        const [at, kind, key] = JSON.parse(
          Buffer.from(query.before, 'base64url').toString('utf8'),
        ) as unknown[];
        if (
          typeof at !== 'number' ||
          typeof key !== 'string' ||
          !['event', 'decision', 'outcome'].includes(kind as string)
        )
          throw new Error('bad cursor');
        before = { at, kind: kind as TimelineKind, key };
      } catch {
        throw new EngineError('invalid', 'querystring.before', 'not a cursor this API returned');
      }
    }
    const page = await this.store.timeline({
      customerId,
      limit: query.limit,
      ...(before ? { before } : {}),
      ...(query.kinds ? { kinds: query.kinds } : {}),
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
    });
    if (page.entries.length === 0 && !before && !(await this.store.getCustomer(customerId)))
      throw new EngineError('not_found', 'params.id', `unknown customer '${customerId}'`);
    const next = page.next
      ? Buffer.from(JSON.stringify([page.next.at, page.next.kind, page.next.key])).toString('base64url')
      : null;
    return { entries: page.entries, next };
  }

  /** A customer's derived features now (what rules see as `features.*`). */
  async customerFeatures(customerId: string): Promise<Attributes> {
    const config = this.catalog.definition.events;
    return featureValues(config, await this.store.featureState(customerId), this.clock());
  }

  // ---- outcomes -----------------------------------------------------------------------------------------

  async recordOutcome(request: OutcomeRequest): Promise<{ outcome: OutcomeRecord; duplicate: boolean }> {
    const decision = await this.store.getDecision(request.decisionId);
    if (!decision)
      throw new EngineError('not_found', 'body.decisionId', `unknown decision '${request.decisionId}'`);
    const choice = decision.chosen.find((c) => c.actionId === request.actionId);
    if (!choice) {
      throw new EngineError(
        'not_found',
        'body.actionId',
        `action '${request.actionId}' was not chosen in decision '${request.decisionId}'`,
      );
    }
    return this.applyOutcome(decision, choice, request.outcome, request.value);
  }

  /** Stores an outcome (idempotently) and teaches the model when it is the one that should. */
  private async applyOutcome(
    decision: DecisionRecord,
    choice: DecisionRecord['chosen'][number],
    outcome: RecordedOutcome,
    value: number | undefined,
  ): Promise<{ outcome: OutcomeRecord; duplicate: boolean }> {
    const reward = rewardOf(this.catalog, outcome);
    const now = this.clock();
    const { record, duplicate } = await this.store.recordOutcome({
      decisionId: decision.id,
      actionId: choice.actionId,
      outcome,
      value,
      at: now,
      customerId: decision.customerId,
      teaches: reward !== undefined,
      positive: reward === 1,
      // An expired window is not something the customer did: contact policies do not see it.
      interaction:
        decision.customerId === null || outcome === 'expired'
          ? undefined
          : {
              kind: outcome,
              actionId: choice.actionId,
              issue: choice.issue,
              group: choice.group,
              channel: decision.channel,
              at: now,
            },
    });
    if (!duplicate && record.learned && reward !== undefined) {
      // A late positive: the negative the expired window taught is taken back first.
      this.registry.learn({
        seq: record.seq,
        actionId: choice.actionId,
        x: decision.features,
        reward,
        at: record.at,
        correctsExpiry: record.corrects > 0,
      });
    }
    return { outcome: record, duplicate };
  }

  /**
   * Counts chosen actions whose response window passed without a positive or negative outcome as negatives
   * (outcome `expired`). Runs on a timer; returns how many it expired.
   */
  async expireResponses(): Promise<number> {
    const windows = this.catalog.actions.flatMap((a) =>
      a.responseWindowMs === undefined ? [] : [a.responseWindowMs],
    );
    if (windows.length === 0) return 0;
    const now = this.clock();
    const shortest = Math.min(...windows);
    const longest = Math.max(...windows);
    const swept = Number((await this.store.getSetting('responses.swept')) ?? 0);
    let from = swept;
    let expired = 0;
    for (;;) {
      const open = await this.store.openChoices(from, now - shortest, 1000);
      for (const c of open) {
        const window = this.catalog.actionsById.get(c.actionId)?.responseWindowMs;
        if (window === undefined || c.at + window > now) continue;
        const decision = await this.store.getDecision(c.decisionId);
        const choice = decision?.chosen.find((x) => x.actionId === c.actionId);
        if (!decision || !choice) continue;
        const { duplicate } = await this.applyOutcome(decision, choice, 'expired', undefined);
        if (!duplicate) expired++;
      }
      if (open.length < 1000) break;
      from = open[open.length - 1]!.at;
    }
    // Decisions older than the longest window are settled: later sweeps need not look at them again.
    await this.store.setSetting('responses.swept', String(Math.max(swept, now - longest)));
    return expired;
  }

  // ---- measurement --------------------------------------------------------------------------------------

  /** KPIs over [from, to) grouped by `by`, and the adaptive arm's lift per group of the other dimensions. */
  kpis(query: { from: number; to: number; by: readonly KpiDimension[] }): Promise<KpiReport> {
    return kpiReport(this.store, query);
  }

  /** Shadow mode: the candidate policy's estimated first-slot accept rate against production's, from the log. */
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

  shadowReport(range: { from: number; to: number }): Promise<ShadowReport> {
    const positive = this.catalog.definition.learning.positive;
    return shadowReport(decisionLog(this.store, { ...range, positive }));
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    await this.webhook?.idle();
    await this.checkpoint();
  }
}

export { CatalogError };
