// One decision, as pure data flowing one way: engagement policies → contact policies → budgets → scoring →
// arbitration. The caller passes in everything (profile, history, budgets, models, clock, random source).

import { EpsilonGreedy } from '../learn/explore/epsilonGreedy.ts';
import type { Explorer } from '../learn/explorer.ts';
import type { Features, FeatureValue } from '../learn/learner.ts';
import { arbitrate, priorityOf } from './arbitration.ts';
import type { Arm } from './arms.ts';
import type { Catalog, CompiledAction } from './catalog.ts';
import { checkContactPolicies, indexHistory, type PolicyMemo } from './contactPolicy.ts';
import { RULE_LIMITS } from './limits.ts';
import { localize } from './localize.ts';
import type { DropReason } from './reasons.ts';
import { RuleCostError } from './ruleCost.ts';
import { type CompiledRule, type RuleScope, ruleErrorMessage } from './rules.ts';
import type {
  Attributes,
  BudgetUsage,
  ChosenAction,
  DroppedCandidate,
  InteractionRecord,
  ScoredCandidate,
} from './types.ts';

export interface DecideInput {
  catalog: Catalog;
  channel: string;
  /** The profile attributes; an anonymous decision passes `{}`. */
  customer: Attributes;
  /** Derived features (from events); `{}` when there are none. */
  features: Attributes;
  context: Attributes;
  /** Interaction history for contact policies; empty for anonymous decisions. */
  history: readonly InteractionRecord[];
  budgetUsage: ReadonlyMap<string, BudgetUsage>;
  limit: number;
  /** Epoch milliseconds: the decision's clock. */
  now: number;
  rng: () => number;
  propensity: (
    action: CompiledAction,
    x: Features,
  ) => { propensity: number; logitSd: number; evidence?: number };
  explorer: Explorer;
  /** Responses learned so far (explorers explore less as it grows). */
  round: number;
  /**
   * The measurement arm (default adaptive). Control: uniform among the eligible actions; business rule: the
   * highest lever × value, no model. Propensities are computed and logged in every arm.
   */
  arm?: Arm;
  /** Restricts the candidates (a trigger's action selector); others are dropped with `reason`. */
  only?: { allows: (action: CompiledAction) => boolean; reason: DropReason };
  /** The reader's languages, best first: the chosen treatments come in the first the catalog translates into. */
  languages?: readonly string[] | undefined;
  /**
   * Actions left out before anything else, with the stage and reason logged (a commit found their budget or
   * cap taken by a decision made at the same time).
   */
  excluded?: ReadonlyMap<string, Pick<DroppedCandidate, 'stage' | 'reason'>>;
  /**
   * The decision's time budget: asked before each candidate; once it says true, the candidates left are dropped
   * (stage `limit`). The caller owns the clock, so the core stays pure.
   */
  overBudget?: () => boolean;
}

export interface DecideResult {
  /** Every candidate that passed the policies, with its scores, in catalog order. */
  candidates: ScoredCandidate[];
  dropped: DroppedCandidate[];
  chosen: ChosenAction[];
  /** The learner's view of this decision, logged so outcomes can teach the model later. */
  features: Record<string, FeatureValue>;
}

/** Flattens profile, features and context into the learner's view (`customer.x`, `features.y`, `context.z`). */
export function learnerFeatures(
  customer: Attributes,
  features: Attributes,
  context: Attributes,
  channel: string,
): Readonly<Record<string, FeatureValue>> {
  const out: Record<string, FeatureValue> = { channel };
  const add = (prefix: string, attrs: Attributes) => {
    for (const [key, value] of Object.entries(attrs)) {
      if (
        value === null ||
        typeof value === 'number' ||
        typeof value === 'string' ||
        typeof value === 'boolean'
      ) {
        out[`${prefix}.${key}`] = value;
      } else if (Array.isArray(value)) {
        // Lists become one indicator per member, e.g. customer.products=fibre.
        for (const item of value)
          if (item !== null && typeof item !== 'object') out[`${prefix}.${key}=${String(item)}`] = 1;
      }
    }
  };
  add('customer', customer);
  add('features', features);
  add('context', context);
  // Frozen: every action's model scores this one row, and frozen rows are read once for all of them (rowView.ts).
  return Object.freeze(out);
}

/** The control arm's explorer: every eligible action equally likely. */
const UNIFORM = new EpsilonGreedy(1);
/** The business-rule arm's: always the best score. */
const GREEDY = new EpsilonGreedy(0);

export function decide(input: DecideInput): DecideResult {
  const { catalog, channel, now } = input;
  const scope: RuleScope = {
    customer: input.customer,
    context: input.context,
    features: input.features,
    channel,
  };
  const x = learnerFeatures(input.customer, input.features, input.context, channel);
  const historyIndex = indexHistory(input.history);
  const policyMemo: PolicyMemo = [];
  const dropped: DroppedCandidate[] = [];
  const candidates: ScoredCandidate[] = [];
  // Beside each candidate (same index): its treatment, and how many more contacts its tightest cap on decisions
  // allows (arrays, not maps keyed by id: a thousand candidates per decision are common).
  const treatments: Array<ChosenAction['treatment']> = [];
  const rooms: number[] = [];
  // A rule's result depends only on the decision's scope, and catalogs repeat rules across actions (the same
  // eligibility for a whole issue, the same consent check): each distinct rule text is evaluated once here.
  const results = new Map<string, { ok: true; value: unknown } | { ok: false; error: unknown }>();
  const evaluate = <T>(rule: CompiledRule<T>): T => {
    let r = results.get(rule.source);
    if (!r) {
      try {
        r = { ok: true, value: rule.evaluate(scope) };
      } catch (error) {
        r = { ok: false, error };
      }
      results.set(rule.source, r);
    }
    if (!r.ok) throw r.error;
    return r.value as T;
  };
  let action: CompiledAction;
  const drop = (stage: DroppedCandidate['stage'], reason: DropReason) =>
    dropped.push({ actionId: action.id, stage, reason });

  let outOfTime = false;
  for (action of catalog.actions) {
    if (outOfTime || input.overBudget?.()) {
      outOfTime = true;
      drop('limit', { code: 'timeLimit', ms: RULE_LIMITS.decideMs });
      continue;
    }
    const excluded = input.excluded?.get(action.id);
    if (excluded) {
      drop(excluded.stage, excluded.reason);
      continue;
    }
    if (input.only && !input.only.allows(action)) {
      drop('trigger', input.only.reason);
      continue;
    }
    const treatment = action.treatments.get(channel);
    if (!treatment) {
      drop('channel', { code: 'noTreatment', channel });
      continue;
    }
    if (action.validFrom !== undefined && now < action.validFrom) {
      drop('validity', { code: 'notYetValid', from: action.validFrom });
      continue;
    }
    if (action.validUntil !== undefined && now > action.validUntil) {
      drop('validity', { code: 'expired', until: action.validUntil });
      continue;
    }
    let failed = false;
    for (const consent of action.consents) {
      if (consent.channels && !consent.channels.has(channel)) continue;
      let given = false;
      try {
        given = consent.requires ? evaluate(consent.requires) === true : false;
      } catch {
        // No data, no consent.
      }
      if (!given) {
        drop('consent', {
          code: 'noConsent',
          consent: consent.id,
          ...(consent.requires ? { rule: consent.requires.source } : {}),
        });
        failed = true;
        break;
      }
    }
    if (failed) continue;
    for (const stage of ['eligibility', 'applicability', 'suitability'] as const) {
      const rule = action[stage];
      if (!rule) continue;
      try {
        if (!evaluate(rule)) {
          drop(stage, { code: 'ruleFalse', rule: rule.source });
          failed = true;
        }
      } catch (error) {
        // Missing or mistyped data, or a rule over its cost budget, never makes an action eligible by accident.
        drop(
          stage,
          error instanceof RuleCostError
            ? { code: 'ruleCost', rule: rule.source, limit: error.limit }
            : { code: 'ruleError', rule: rule.source, error: ruleErrorMessage(error) },
        );
        failed = true;
      }
      if (failed) break;
    }
    if (failed) continue;
    const room = { left: Number.POSITIVE_INFINITY };
    const block = checkContactPolicies(catalog, action, historyIndex, channel, now, [], room, policyMemo);
    if (block) {
      drop('contactPolicy', block);
      continue;
    }
    if (action.budget) {
      const used = input.budgetUsage.get(action.id) ?? { today: 0, total: 0 };
      if (action.budget.maxPerDay !== undefined && used.today >= action.budget.maxPerDay) {
        drop('budget', { code: 'dailyBudget', max: action.budget.maxPerDay });
        continue;
      }
      if (action.budget.total !== undefined && used.total >= action.budget.total) {
        drop('budget', { code: 'totalBudget', max: action.budget.total });
        continue;
      }
    }
    let value: number;
    try {
      value = typeof action.value === 'number' ? action.value : evaluate(action.value);
    } catch (error) {
      drop(
        'value',
        error instanceof RuleCostError
          ? { code: 'valueCost', limit: error.limit }
          : { code: 'valueError', error: ruleErrorMessage(error) },
      );
      continue;
    }
    let contextWeight = 1;
    for (const w of action.contextWeights) {
      if (w.channels && !w.channels.has(channel)) continue;
      if (w.when) {
        try {
          if (!evaluate(w.when)) continue;
        } catch {
          continue;
        }
      }
      contextWeight *= w.weight;
    }
    const { propensity, logitSd, evidence = 0 } = input.propensity(action, x);
    const candidate: ScoredCandidate = {
      actionId: action.id,
      issue: action.issue,
      group: action.group,
      propensity,
      value,
      contextWeight,
      lever: action.lever,
      priority: 0,
      logitSd,
      evidence,
    };
    candidate.priority = priorityOf(candidate);
    candidates.push(candidate);
    treatments.push(treatment);
    rooms.push(room.left);
  }

  // Caps on decisions also count the slots filled before (limit 3 under a cap of 1 gives one action). Each
  // chosen action adds at most one contact to a cap, so only candidates with less room than slots filled are
  // checked again.
  const tight = rooms.some((left) => left < input.limit);
  const headroom = new Map(tight ? candidates.map((c, i) => [c, rooms[i]!]) : []);
  const admissible = !tight
    ? undefined
    : (c: ScoredCandidate, chosen: readonly ScoredCandidate[]) =>
        (headroom.get(c) ?? Number.POSITIVE_INFINITY) > chosen.length ||
        checkContactPolicies(
          catalog,
          catalog.actionsById.get(c.actionId)!,
          historyIndex,
          channel,
          now,
          chosen.map((k) => catalog.actionsById.get(k.actionId)!),
        ) === undefined;
  const arm = input.arm ?? 'adaptive';
  const slots = arbitrate(candidates, {
    limit: input.limit,
    onePerGroup: catalog.definition.arbitration.onePerGroup,
    explorer: arm === 'control' ? UNIFORM : arm === 'businessRule' ? GREEDY : input.explorer,
    rng: input.rng,
    round: input.round,
    score: arm === 'businessRule' ? (c) => c.lever * c.value : undefined,
    admissible,
  });
  const treatmentOf = (c: ScoredCandidate) => treatments[candidates.indexOf(c)]!;
  const chosen: ChosenAction[] = slots.map((s) => ({
    ...s.candidate,
    rank: s.rank,
    probability: s.probability,
    // What was shown, in the reader's language where the catalog translates it (logged so).
    treatment: input.languages?.length
      ? (localize(catalog, catalog.actionsById.get(s.candidate.actionId)!, channel, input.languages)
          .treatment ?? treatmentOf(s.candidate))
      : treatmentOf(s.candidate),
  }));
  return { candidates, dropped, chosen, features: x };
}
