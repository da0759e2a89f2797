// How a response becomes model updates: which models an action's outcome teaches, what input each sees, the
// reward, forgetting in time and the correction of an expiry. The one learning path: the engine learns live and
// replays the log with it (src/engine/models.ts), shadow models are part of it, and `nextbest evaluate` replays a
// candidate with it (src/measure/evaluate.ts), so offline figures estimate the policy that would run.

import { RowViews } from '../learn/binned/rowView.ts';
import type { Features, Learner, LearnerState } from '../learn/learner.ts';
import { LEARNERS, type LearnerName, learnerFromJSON } from '../learn/registry.ts';
import type { Catalog, CompiledAction } from './catalog.ts';
import { DAY_MS } from './contactPolicy.ts';
import type { PolicySpec } from './policy.ts';
import type { RecordedOutcome } from './types.ts';

/** A model as stored: its key and its state (what src/store keeps). */
export interface ModelState {
  key: string;
  state: LearnerState;
}

/** Shadow models are per action, under this prefix. */
export const SHADOW = 'shadow:';

/** A new action's borrowed prior counts as this many responses… */
const GROUP_PRIOR_RESPONSES = 10;
/** …once its group has at least this much evidence. */
const GROUP_PRIOR_MIN_EVIDENCE = 30;

/** What the models need to know of the active catalog. */
export interface ModelContext {
  catalog: Catalog;
  /** What a shared model sees of each of its actions. */
  actionFeatures: ReadonlyMap<string, Record<string, string | boolean>>;
  shadow: { spec: PolicySpec } | undefined;
  /** Replaces the catalog's learner (and overrides') for every model: a candidate replayed by evaluate. */
  learner?: { kind: LearnerName; options?: object | undefined } | undefined;
}

/** The reward an outcome teaches under the catalog's learning settings (undefined: it teaches nothing). */
export function rewardOf(catalog: Catalog, outcome: RecordedOutcome): number | undefined {
  if (outcome === 'expired') return 0;
  const learning = catalog.definition.learning;
  if ((learning.positive as string[]).includes(outcome)) return 1;
  if ((learning.negative as string[]).includes(outcome)) return 0;
  return undefined;
}

/** A learned outcome of the log, as much as a lesson needs of it. */
export interface LoggedOutcome {
  seq: number;
  actionId: string;
  outcome: RecordedOutcome;
  at: number;
  features: Features;
}

/** A logged outcome as a lesson (undefined when the catalog makes it teach nothing). */
export function lessonOf(catalog: Catalog, o: LoggedOutcome, correctsExpiry: boolean): Lesson | undefined {
  const reward = rewardOf(catalog, o.outcome);
  if (reward === undefined) return undefined;
  return { seq: o.seq, actionId: o.actionId, x: o.features, reward, at: o.at, correctsExpiry };
}

/** One response to teach: what the engine learns live and what a replay reads from the log. */
export interface Lesson {
  seq: number;
  actionId: string;
  x: Features;
  reward: number;
  at: number;
  /** Take back the negative an expired response window taught first. */
  correctsExpiry: boolean;
}

/**
 * A set of models keyed by model key (an action id, `shared:…`, or `shadow:<action>`), with what each was built
 * with and has learned from. The one place that turns a response into model updates (which models, which
 * input, forgetting, the expiry correction), for live learning and replay alike.
 */
export class ModelSet {
  readonly models = new Map<string, Learner>();
  /** The learner settings each model was built with (kind and options), to notice changes. */
  readonly specs = new Map<string, string>();
  /** Per model: the actions whose outcomes it has learned from. */
  readonly members = new Map<string, Set<string>>();
  /** Per model, with forgetting in time: when its evidence was last discounted. */
  readonly forgottenAt = new Map<string, number>();
  /** Keys changed since the set was loaded. */
  readonly dirty = new Set<string>();
  /**
   * Stored models that could not be read (a state written by a newer version, or damaged), with why: they are
   * rebuilt from the outcome log (see changedKeys) instead of failing the engine or serving a broken model.
   */
  readonly unreadable = new Map<string, string>();
  /** One row view for all models of the set: a decision's frozen row is read once for all of them. */
  private readonly views = new RowViews();

  constructor(private readonly context: () => ModelContext) {}

  private get catalog(): Catalog {
    return this.context().catalog;
  }

  static fromStates(context: () => ModelContext, states: Iterable<ModelState>): ModelSet {
    const set = new ModelSet(context);
    for (const m of states) set.put(m);
    return set;
  }

  /**
   * Replaces one model by a stored state. A state that cannot be read leaves the model out (the next use builds
   * it afresh) and is listed in `unreadable`, so that the owner rebuilds it from the log.
   */
  put(m: ModelState): void {
    const { spec, actions, forgottenAt, ...state } = m.state as LearnerState & {
      spec?: string;
      actions?: string[];
      forgottenAt?: number;
    };
    let model: Learner;
    try {
      model = learnerFromJSON(state as LearnerState, this.views);
    } catch (error) {
      this.models.delete(m.key);
      this.specs.delete(m.key);
      this.members.delete(m.key);
      this.forgottenAt.delete(m.key);
      this.unreadable.set(m.key, error instanceof Error ? error.message : String(error));
      return;
    }
    this.unreadable.delete(m.key);
    this.models.set(m.key, model);
    if (spec !== undefined) this.specs.set(m.key, spec);
    else this.specs.delete(m.key);
    // Before model states carried their actions, a model's key was its action's id.
    this.members.set(m.key, new Set(actions ?? (m.key.startsWith('shared:') ? [] : [m.key])));
    if (forgottenAt !== undefined) this.forgottenAt.set(m.key, forgottenAt);
    else this.forgottenAt.delete(m.key);
  }

  /** The stored form of a model: its state with the settings it was built with and its actions. */
  state(key: string): ModelState {
    return {
      key,
      state: {
        ...this.model(key).toJSON(),
        spec: this.specs.get(key),
        actions: [...(this.members.get(key) ?? [])],
        forgottenAt: this.forgottenAt.get(key),
      },
    };
  }

  /** Drops a model so that the next use builds it afresh from the catalog's settings. */
  reset(key: string): void {
    this.models.delete(key);
    this.specs.delete(key);
    this.members.delete(key);
    this.forgottenAt.delete(key);
    this.unreadable.delete(key);
    this.model(key);
    this.dirty.add(key);
  }

  /** The model key an action learns into; an action no longer in the catalog keeps its own key. */
  keyOf(actionId: string): string {
    return this.catalog.actionsById.get(actionId)?.model.key ?? actionId;
  }

  /** Every model an action's outcomes teach: its own (or shared) one, and its shadow model in shadow mode. */
  keysOf(actionId: string): string[] {
    return this.context().shadow ? [this.keyOf(actionId), SHADOW + actionId] : [this.keyOf(actionId)];
  }

  /** What the action's model sees: the customer's features, plus the action's own for a shared model. */
  modelInput(actionId: string, x: Features): Features {
    const action = this.catalog.actionsById.get(actionId);
    if (!action?.model.shared) return x;
    return { ...x, ...this.context().actionFeatures.get(actionId) };
  }

  /** The learner settings the catalog asks for a model: its kind, options and forgetting. */
  specFor(key: string): { kind: LearnerName; options: { halfLife?: number } | undefined; key: string } {
    const catalog = this.catalog;
    if (key.startsWith(SHADOW)) {
      const spec = this.context().shadow?.spec;
      const kind = spec?.learner ?? catalog.definition.learning.learner;
      const options = spec?.learnerOptions;
      return { kind, options, key: JSON.stringify(['shadow', kind, options ?? {}]) };
    }
    const action = catalog.actionsById.get(key) ?? catalog.actions.find((a) => a.model.key === key);
    const learning = catalog.definition.learning;
    const candidate = this.context().learner;
    const kind = candidate?.kind ?? action?.learner ?? learning.learner;
    const forgetting = learning.halfLife === undefined ? undefined : { halfLife: learning.halfLife };
    const options = candidate?.options ? { ...forgetting, ...candidate.options } : forgetting;
    const shared = action?.model.shared ?? false;
    return {
      kind,
      options,
      key: JSON.stringify([kind, options ?? {}, { halfLifeDays: learning.halfLifeDays ?? null, shared }]),
    };
  }

  /**
   * Cold start: a new action with its own model borrows its group's acceptance rate as a prior worth
   * GROUP_PRIOR_RESPONSES responses (when the group has evidence), instead of the generic prior.
   */
  private groupPrior(actionId: string): { priorPositives: number; priorNegatives: number } | undefined {
    const catalog = this.catalog;
    const action = catalog.actionsById.get(actionId);
    if (!action || action.model.shared) return undefined;
    let positives = 0;
    let responses = 0;
    for (const sibling of catalog.actions) {
      if (sibling.id === actionId || sibling.issue !== action.issue || sibling.group !== action.group)
        continue;
      if (sibling.model.shared) continue;
      const report = this.models.get(sibling.id)?.report();
      if (!report) continue;
      positives += report.positives;
      responses += report.responses;
    }
    if (responses < GROUP_PRIOR_MIN_EVIDENCE) return undefined;
    const rate = (positives + 1) / (responses + 2);
    return {
      priorPositives: GROUP_PRIOR_RESPONSES * rate,
      priorNegatives: GROUP_PRIOR_RESPONSES * (1 - rate),
    };
  }

  /** The model with this key, created from the catalog's settings when there is none yet. */
  model(key: string): Learner {
    let m = this.models.get(key);
    if (!m) {
      const spec = this.specFor(key);
      const prior = this.groupPrior(key);
      m = LEARNERS[spec.kind](prior ? { ...spec.options, ...prior } : spec.options, this.views);
      this.models.set(key, m);
      this.specs.set(key, spec.key);
      this.members.set(key, new Set());
    }
    return m;
  }

  /** The model of a catalog action. */
  modelOf(action: CompiledAction): Learner {
    return this.model(action.model.key);
  }

  /** Teaches one response to every model of its action that passes `which`; returns the keys taught. */
  teach(lesson: Lesson, which: (key: string) => boolean = () => true): void {
    for (const key of this.keysOf(lesson.actionId)) if (which(key)) this.teachModel(key, lesson);
  }

  private teachModel(key: string, l: Lesson): void {
    const model = this.model(key);
    const halfLifeDays = this.catalog.definition.learning.halfLifeDays;
    if (halfLifeDays !== undefined) {
      const since = this.forgottenAt.get(key);
      const halfLifeMs = halfLifeDays * DAY_MS;
      if (since === undefined) this.forgottenAt.set(key, l.at);
      // In steps of a hundredth of the half-life: forgetting touches every weight, so not on every response.
      else if (l.at - since >= halfLifeMs / 100) {
        model.forget(2 ** (-(l.at - since) / halfLifeMs));
        this.forgottenAt.set(key, l.at);
      }
    }
    // A shadow model is the action's own and sees only the customer's features.
    const input = key.startsWith(SHADOW) ? l.x : this.modelInput(l.actionId, l.x);
    if (l.correctsExpiry) model.unlearn(input, 0);
    model.learn(input, l.reward);
    this.members.get(key)?.add(l.actionId);
    this.dirty.add(key);
  }

  /**
   * The keys that must be rebuilt from the whole log: the catalog asks for other learner settings (kind, options,
   * forgetting, sharing) than a model was built with, routes an action with history into a model that has not
   * learned from it (an action joins or leaves a shared model), or starts a shadow policy; and the stored models
   * that could not be read.
   */
  changedKeys(): Set<string> {
    const rebuild = new Set<string>(this.unreadable.keys());
    const learnedBy = new Map<string, string[]>();
    for (const [key, actions] of this.members) {
      for (const a of actions) learnedBy.set(a, [...(learnedBy.get(a) ?? []), key]);
    }
    for (const action of this.catalog.actions) {
      const key = action.model.key;
      const built = this.specs.get(key);
      if (built !== undefined && built !== this.specFor(key).key) rebuild.add(key);
      const elsewhere = (learnedBy.get(action.id) ?? []).some((k) => k !== key && !k.startsWith(SHADOW));
      if (elsewhere && !this.members.get(key)?.has(action.id)) rebuild.add(key);
      // A new or changed shadow policy starts from the whole history, like production's models.
      if (this.context().shadow) {
        const shadowKey = SHADOW + action.id;
        const shadowBuilt = this.specs.get(shadowKey);
        const changed = shadowBuilt !== undefined && shadowBuilt !== this.specFor(shadowKey).key;
        if (changed || (learnedBy.has(action.id) && !this.members.get(shadowKey)?.has(action.id)))
          rebuild.add(shadowKey);
      }
    }
    return rebuild;
  }
}
