// Decisions: load what the rules and policies read, decide (pure core), reserve limits and log in one commit,
// answer and explain.

import { v7 as uuidv7 } from 'uuid';
import { assignArm } from '../core/arms.ts';
import type { CompiledTrigger } from '../core/catalog.ts';
import { capCheckOf, DAY_MS, hasDecisionCap } from '../core/contactPolicy.ts';
import { decide } from '../core/decide.ts';
import { featureValues } from '../core/events.ts';
import { explainDecision } from '../core/explain.ts';
import { RULE_LIMITS, recentReading, timeBudget } from '../core/limits.ts';
import { localize } from '../core/localize.ts';
import { SHADOW } from '../core/modelSet.ts';
import { policyDistribution } from '../core/policy.ts';
import { type Lang, langOf } from '../core/reasons.ts';
import type {
  Attributes,
  ChosenAction,
  DroppedCandidate,
  InteractionRecord,
  ScoredCandidate,
} from '../core/types.ts';
import type { Features } from '../learn/learner.ts';
import type {
  DecisionRecord,
  OutboundMessage,
  OutcomeRecord,
  ShadowRecord,
  TriggerRef,
} from '../store/store.ts';
import { StoreUnavailableError } from '../store/unavailable.ts';
import type { DecideRequest, DecisionExplanation, DecisionResponse } from './api.ts';
import { BudgetCounters } from './budgetCounters.ts';
import { type EngineContext, modelVersion } from './context.ts';
import { EngineError } from './errors.ts';

/** A decision is arbitrated at most this often when its commit finds limits taken meanwhile. */
const MAX_COMMIT_ATTEMPTS = 4;

/** CPU time this process has spent, in milliseconds (user and system). */
function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

const wallMs = performance.now.bind(performance);
/** The starting CPU reading of a decision's time budget: at most 5 ms old (a few decisions share one read). */
const cpuAtStart = recentReading(5, wallMs, processCpuMs);

export class Decisions {
  private readonly budgets: BudgetCounters;

  constructor(private readonly c: EngineContext) {
    this.budgets = new BudgetCounters((ids, day) => c.store.budgetUsage(ids, day));
  }

  async decide(request: DecideRequest): Promise<DecisionResponse> {
    try {
      return await this.decideWith(request);
    } catch (error) {
      if (error instanceof StoreUnavailableError) return this.decideDegraded(request);
      throw error;
    }
  }

  /**
   * A decision while the store is unavailable: from the catalog, the models and the profile this process saw
   * last (if any), among the actions marked safe for degraded mode that have no budget, and none on outbound
   * channels (their contact policies cannot be checked). Nothing is logged.
   */
  private decideDegraded(request: DecideRequest): DecisionResponse {
    const { catalog, stored, explorer } = this.c.catalogs.active;
    const limit = this.checkRequest(request);
    const now = this.c.clock();
    const customerId = request.customerId ?? null;
    const outbound = catalog.channels.get(request.channel)?.direction === 'outbound';
    const arm = assignArm(catalog.arms, customerId, now, this.c.rng);
    const result = decide({
      arm,
      catalog,
      languages: request.languages,
      channel: request.channel,
      customer: (customerId === null ? undefined : this.c.profiles.get(customerId)) ?? {},
      features: {},
      context: request.context ?? {},
      history: [],
      budgetUsage: new Map(),
      limit,
      now,
      rng: this.c.rng,
      propensity: (action, features) => this.propensity(action.model.key, action.id, features, explorer.kind),
      round: this.c.registry.learnedSeq,
      explorer,
      only: {
        // Inbound contact policies go unchecked (the customer came to us); a budget could be overspent by an
        // offer nobody logs, so budgeted actions wait for the store.
        allows: (a) => !outbound && a.safeWhenDegraded && !a.budget,
        reason: { code: outbound ? 'degradedOutbound' : 'degradedUnsafe' },
      },
    });
    const record = decisionRecord(
      decisionIdAt(now),
      request,
      now,
      stored.version,
      modelVersion(this.c),
      arm,
      result,
    );
    return {
      ...this.decisionResponse(record, result.chosen, request.explain === true, request.languages),
      degraded: true,
    };
  }

  /** The channel and limit of a request, checked; answers the limit. */
  private checkRequest(request: DecideRequest): number {
    const catalog = this.c.catalogs.catalog;
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
    return limit;
  }

  private propensity(modelKey: string, actionId: string, features: Features, explorerKind: string) {
    const model = this.c.registry.live.model(modelKey);
    const x = this.c.registry.live.modelInput(actionId, features);
    const logitSd = explorerKind === 'thompson' ? model.logitSd(x) : 0;
    return { propensity: model.predict(x), logitSd, evidence: model.responses };
  }

  /** A decision; a trigger's decisions also carry the trigger, are restricted to its actions and queue a message. */
  async decideWith(request: DecideRequest, trigger?: TriggerRef & { only: CompiledTrigger; job?: number }) {
    const { catalog, stored, explorer, history: need, budgeted } = this.c.catalogs.active;
    const limit = this.checkRequest(request);
    const now = this.c.clock();
    const customerId = request.customerId ?? null;
    const events = catalog.definition.events;
    const arm = assignArm(catalog.arms, customerId, now, this.c.rng);
    const since = now - need.days * DAY_MS;
    const day = Math.floor(now / DAY_MS);
    const historyOf = () =>
      customerId === null
        ? Promise.resolve([])
        : this.c.store.loadHistory(customerId, since, need.acceptsForever);
    // What the decision reads, read at once (a networked store answers them in parallel).
    const [found, state, firstHistory, firstUsage] = await Promise.all([
      customerId === null ? undefined : this.c.store.getCustomer(customerId),
      customerId !== null && Object.keys(events.features).length > 0
        ? this.c.store.featureState(customerId)
        : undefined,
      historyOf(),
      this.budgets.usage(budgeted, day),
    ]);
    if (customerId !== null && !found)
      throw new EngineError('not_found', 'body.customerId', `unknown customer '${customerId}'`);
    const customer: Attributes = found?.attributes ?? {};
    if (customerId !== null && found) this.c.profiles.remember(customerId, found.attributes);
    const features = state ? featureValues(events, state, now) : {};
    // Budgets and caps are read here and reserved when the decision commits. A commit that finds a limit
    // taken meanwhile (a decision made at the same time) is refused; the decision is then made again from
    // fresh counts without the refused actions, so what is answered and logged never exceeds a limit and the
    // logged probabilities are those of the arbitration that was committed.
    const excluded = new Map<string, Pick<DroppedCandidate, 'stage' | 'reason'>>();
    for (let attempt = 1; ; attempt++) {
      const history = attempt === 1 ? firstHistory : await historyOf();
      const budgetUsage = attempt === 1 ? firstUsage : await this.budgets.usage(budgeted, day, true);
      // The last attempt leaves out every action under a budget or a cap on decisions, so it commits.
      const last = attempt === MAX_COMMIT_ATTEMPTS;
      if (last) {
        for (const a of catalog.actions) {
          if (a.budget || hasDecisionCap(catalog, a, request.channel)) {
            if (!excluded.has(a.id)) excluded.set(a.id, { stage: 'budget', reason: { code: 'contended' } });
          }
        }
      }
      // The time budget counts rules and scoring only: a slow store read must not empty the answer.
      const result = decide({
        overBudget: timeBudget(RULE_LIMITS.decideMs, wallMs, processCpuMs, cpuAtStart),
        arm,
        catalog,
        languages: request.languages,
        channel: request.channel,
        customer,
        features,
        context: request.context ?? {},
        history,
        budgetUsage,
        limit,
        now,
        rng: this.c.rng,
        propensity: (action, features) =>
          this.propensity(action.model.key, action.id, features, explorer.kind),
        round: this.c.registry.learnedSeq,
        explorer,
        ...(trigger
          ? {
              only: {
                allows: trigger.only.allows,
                reason: { code: 'notInTrigger', trigger: trigger.id },
              },
            }
          : {}),
        excluded,
      });
      const decisionId = decisionIdAt(now);
      const version = modelVersion(this.c);
      const shadow = this.shadowOf(result.candidates, result.chosen[0]?.actionId, result.features);
      const record: DecisionRecord = {
        ...decisionRecord(decisionId, request, now, stored.version, version, arm, result),
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
      const committed = await this.c.store.commitDecision({
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
                        check: capCheckOf(catalog, chosenIds, request.channel, now),
                      },
                    }
                  : {}),
              }
            : undefined,
      });
      if (!committed.committed) {
        this.budgets.invalidate();
        for (const a of committed.budgets)
          excluded.set(a, { stage: 'budget', reason: { code: 'budgetTakenConcurrently' } });
        for (const a of committed.caps)
          excluded.set(a, {
            stage: 'contactPolicy',
            reason: { code: 'capTakenConcurrently' },
          });
        continue;
      }
      this.budgets.add(
        budgets.map((b) => b.actionId),
        day,
      );
      return this.decisionResponse(record, result.chosen, request.explain === true, request.languages);
    }
  }

  private decisionResponse(
    record: DecisionRecord,
    chosen: readonly ChosenAction[],
    explain: boolean,
    languages?: readonly string[],
  ): DecisionResponse {
    const catalog = this.c.catalogs.catalog;
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
        if (!action) return { ...c, name: c.actionId, description: '' };
        const { name, description } = localize(catalog, action, channel, languages);
        return { ...c, name, description };
      }),
      ...(explain ? { explanation: this.explanationOf(record, langOf(languages)) } : {}),
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
    const shadow = this.c.catalogs.active.shadow;
    if (!shadow || top === undefined) return undefined;
    const needsSd = shadow.spec.explorer === 'thompson';
    const dist = policyDistribution(
      shadow.spec,
      shadow.explorer,
      candidates,
      (c) => {
        const m = this.c.registry.live.model(SHADOW + c.actionId);
        return { propensity: m.predict(x), logitSd: needsSd ? m.logitSd(x) : 0, evidence: m.responses };
      },
      this.c.rng,
      this.c.registry.learnedSeq,
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
    return this.c.store.recentDecisions(limit);
  }

  /** Why each candidate of a logged decision was chosen, ranked out or dropped. */
  async explain(id: string, lang?: Lang): Promise<DecisionExplanation> {
    return this.explanationOf(await this.loggedDecision(id), lang);
  }

  /** A logged decision, or a 404 naming the id. */
  async loggedDecision(id: string): Promise<DecisionRecord> {
    const decision = await this.c.store.getDecision(id);
    if (!decision) throw new EngineError('not_found', 'params.id', `unknown decision '${id}'`);
    return decision;
  }

  private explanationOf(d: DecisionRecord, lang?: Lang): DecisionExplanation {
    return {
      decisionId: d.id,
      arm: d.arm,
      modelVersion: d.modelVersion,
      explainedWith: modelVersion(this.c),
      candidates: explainDecision({
        arm: d.arm,
        candidates: d.candidates,
        dropped: d.dropped,
        chosen: d.chosen,
        ...(lang ? { lang } : {}),
        contributions: (actionId) => {
          // Actions removed from the catalog since have no model to ask.
          if (!this.c.catalogs.catalog.actionsById.has(actionId)) return undefined;
          return this.c.registry.live
            .model(this.c.registry.live.keyOf(actionId))
            .explain?.(this.c.registry.live.modelInput(actionId, d.features));
        },
      }),
    };
  }

  async getDecision(id: string): Promise<DecisionRecord & { outcomes: OutcomeRecord[] }> {
    const decision = await this.loggedDecision(id);
    return { ...decision, outcomes: await this.c.store.outcomesForDecision(id) };
  }
}

/** The logged form of a decision (its trigger and shadow scores are added by the caller). */
function decisionRecord(
  id: string,
  request: DecideRequest,
  at: number,
  catalogVersion: number,
  modelVersion: string,
  arm: DecisionRecord['arm'],
  result: ReturnType<typeof decide>,
): DecisionRecord {
  return {
    id,
    customerId: request.customerId ?? null,
    channel: request.channel,
    context: request.context ?? {},
    at,
    catalogVersion,
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
  };
}

/**
 * A decision id: a UUIDv7, time-ordered on the engine's clock, so that the log's primary keys (decisions, choices)
 * grow at their end instead of touching a random page per insert; its 74 random bits keep it unguessable (a page's
 * outcome reports carry it).
 */
export function decisionIdAt(now: number): string {
  return uuidv7({ msecs: now });
}
