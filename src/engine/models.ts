// The models of one engine and how they stay one truth across processes.
//
// The outcome log is the delta: every process teaches the outcomes it records to its live models at once, and a
// fold (every checkpoint, in one store transaction that excludes other folds) brings the stored models up to date
// with every learned outcome not folded yet, whichever process recorded it, and marks those outcomes folded.
// When nobody else folded since this process last did and the unfolded outcomes are exactly the ones it learned
// live, its live models are that result and are written as they are; otherwise the stored models are replayed
// forward from the log and this process adopts them. Either way the stored models learn each outcome exactly
// once, in the order outcomes are folded, and each process picks up the others' learning at its next fold. With
// SQLite (one writer at a time) that is log order: two processes that learned 10 outcomes each leave the very
// model one process would have after all 20. PostgreSQL may commit outcomes out of sequence order, and a fold
// takes them in commit order: the same evidence, learned in a slightly different order.

import type { Catalog, CompiledAction } from '../core/catalog.ts';
import { DAY_MS } from '../core/contactPolicy.ts';
import type { PolicySpec } from '../core/policy.ts';
import type { RecordedOutcome } from '../core/types.ts';
import type { Features, Learner, LearnerState } from '../learn/learner.ts';
import { LEARNERS, type LearnerName, learnerFromJSON } from '../learn/registry.ts';
import type { FoldOutcome, ModelRepository, StoredModel } from '../store/store.ts';

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
}

/** The reward an outcome teaches under the catalog's learning settings (undefined: it teaches nothing). */
export function rewardOf(catalog: Catalog, outcome: RecordedOutcome): number | undefined {
  if (outcome === 'expired') return 0;
  const learning = catalog.definition.learning;
  if ((learning.positive as string[]).includes(outcome)) return 1;
  if ((learning.negative as string[]).includes(outcome)) return 0;
  return undefined;
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

  constructor(private readonly context: () => ModelContext) {}

  private get catalog(): Catalog {
    return this.context().catalog;
  }

  static fromStates(context: () => ModelContext, states: Iterable<StoredModel>): ModelSet {
    const set = new ModelSet(context);
    for (const m of states) set.put(m);
    return set;
  }

  /** Replaces one model by a stored state. */
  put(m: StoredModel): void {
    const { spec, actions, forgottenAt, ...state } = m.state as LearnerState & {
      spec?: string;
      actions?: string[];
      forgottenAt?: number;
    };
    this.models.set(m.key, learnerFromJSON(state as LearnerState));
    if (spec !== undefined) this.specs.set(m.key, spec);
    else this.specs.delete(m.key);
    // Before model states carried their actions, a model's key was its action's id.
    this.members.set(m.key, new Set(actions ?? (m.key.startsWith('shared:') ? [] : [m.key])));
    if (forgottenAt !== undefined) this.forgottenAt.set(m.key, forgottenAt);
    else this.forgottenAt.delete(m.key);
  }

  /** The stored form of a model: its state with the settings it was built with and its actions. */
  state(key: string): StoredModel {
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
    const kind = action?.learner ?? learning.learner;
    const options = learning.halfLife === undefined ? undefined : { halfLife: learning.halfLife };
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
      m = LEARNERS[spec.kind](prior ? { ...spec.options, ...prior } : spec.options);
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
   * learned from it (an action joins or leaves a shared model), or starts a shadow policy.
   */
  changedKeys(): Set<string> {
    const rebuild = new Set<string>();
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

/** A learned outcome of the log as a lesson (undefined when the current catalog makes it teach nothing). */
function lessonOf(catalog: Catalog, o: FoldOutcome, correctsExpiry: boolean): Lesson | undefined {
  const reward = rewardOf(catalog, o.outcome);
  if (reward === undefined) return undefined;
  return { seq: o.seq, actionId: o.actionId, x: o.features, reward, at: o.at, correctsExpiry };
}

/** The live models of one engine, kept in step with the stored ones (see the top of this file). */
export class ModelRegistry {
  /** The models decisions are scored with: the stored ones as last adopted, plus what was learned since. */
  live: ModelSet;
  /** Stored states as of the last fold (what `live` started from). */
  private base = new Map<string, StoredModel>();
  private generation = 0;
  /** Lessons taught live since the last fold, in the order taught. */
  private lessons: Lesson[] = [];
  /**
   * Outcomes the last two folds took from the log that this process had not learned live yet: their answer may
   * still be on its way (the store committed them, the caller has not resumed), and the adopted models hold
   * them already, so `learn` must not teach them again.
   */
  private foldedAhead: Array<Set<number>> = [new Set(), new Set()];
  /** The highest outcome sequence number learned (the model version). */
  learnedSeq = 0;
  private folding: Promise<void> | undefined;
  /** Folds that wrote the live models as they were, and folds that replayed the log (observability, tests). */
  readonly folds = { quick: 0, replayed: 0 };

  constructor(
    private readonly store: ModelRepository,
    private readonly context: () => ModelContext,
  ) {
    this.live = new ModelSet(context);
  }

  /** Loads the stored models and folds in what the log holds beyond them (a crash's, another process's). */
  async open(): Promise<void> {
    const { models, generation, maxSeq } = await this.store.loadModels();
    this.learnedSeq = maxSeq;
    this.base = new Map(models.map((m) => [m.key, m]));
    this.generation = generation;
    this.live = ModelSet.fromStates(this.context, models);
    await this.fold(this.live.changedKeys());
  }

  /** Teaches a response the store has just recorded (and marked learned). */
  learn(lesson: Lesson): void {
    this.learnedSeq = Math.max(this.learnedSeq, lesson.seq);
    const ahead = this.foldedAhead.find((folded) => folded.has(lesson.seq));
    if (ahead) {
      ahead.delete(lesson.seq);
      return;
    }
    this.live.teach(lesson);
    this.lessons.push(lesson);
  }

  /** Rebuilds the models the catalog now builds differently from the whole log (after a catalog change). */
  async rebuildChanged(): Promise<void> {
    const rebuild = this.live.changedKeys();
    if (rebuild.size > 0) await this.fold(rebuild);
  }

  /**
   * Brings the stored models up to date with the log and this process's live models up to date with the
   * stored ones. Folds run one at a time per process; the store runs them one at a time across processes.
   */
  async fold(rebuild: ReadonlySet<string> = new Set()): Promise<void> {
    while (this.folding) await this.folding;
    const run = this.foldOnce(rebuild);
    this.folding = run.finally(() => {
      this.folding = undefined;
    });
    await this.folding;
  }

  private async foldOnce(rebuild: ReadonlySet<string>): Promise<void> {
    // The result is built inside the store's transaction but adopted only once it is committed.
    // `stored`: the stored states the result was built on (the last fold's, with what others wrote since).
    let adopted: { set: ModelSet; written: StoredModel[]; stored: Map<string, StoredModel> } | undefined;
    const pending = this.lessons.map((l) => l.seq);
    const result = await this.store.foldModels({
      since: this.generation,
      replayAll: rebuild.size > 0,
      pending,
      quick: ({ changed, unfolded }) => {
        // Called synchronously: `lessons` is exactly what the live models learned beyond the adopted base.
        const taught = this.lessons;
        if (rebuild.size > 0 || changed.length > 0) return undefined;
        if (unfolded.length !== taught.length || unfolded.some((seq, i) => taught[i]!.seq !== seq))
          return undefined;
        const written = [...this.live.dirty].map((key) => this.live.state(key));
        adopted = { set: this.live, written, stored: this.base };
        return written;
      },
      replay: ({ changed, outcomes }) => {
        const base = new Map(this.base);
        for (const m of changed) base.set(m.key, m);
        const set = ModelSet.fromStates(this.context, base.values());
        for (const key of rebuild) set.reset(key);
        const catalog = this.context().catalog;
        for (const o of outcomes) {
          if (!o.folded) {
            const lesson = lessonOf(catalog, o, o.corrects > 0 && o.correctsFolded);
            if (lesson) set.teach(lesson);
          } else if (catalog.actionsById.has(o.actionId)) {
            // A folded outcome is replayed only into the models being rebuilt, which start from nothing (an
            // expiry it corrected is not in the log as learned, so there is nothing to take back).
            const lesson = lessonOf(catalog, o, false);
            if (lesson) set.teach(lesson, (key) => rebuild.has(key));
          }
        }
        const written = [...set.dirty].map((key) => set.state(key));
        adopted = { set, written, stored: base };
        return written;
      },
    });
    if (!adopted) return;
    const { set, written, stored } = adopted;
    if (set === this.live) this.folds.quick++;
    else this.folds.replayed++;
    // The stored models now: what the result was built on, then what this fold wrote. Not only what it wrote, or
    // a later replay starts from a model as this process last saw it and loses what others folded into it.
    this.base = stored;
    for (const m of written) this.base.set(m.key, m);
    this.generation = result.generation;
    const folded = new Set(result.folded);
    const asked = new Set(pending);
    const unsettled = new Set(result.unsettled);
    // Lessons the stored models do not hold yet (learned live while the fold ran, after it read the log) go on
    // top of the adopted models; those folded meanwhile, by this fold or another process's, are in them already.
    const later = this.lessons.filter((l) => (asked.has(l.seq) ? unsettled.has(l.seq) : !folded.has(l.seq)));
    const known = new Set(this.lessons.map((l) => l.seq));
    this.foldedAhead = [
      new Set(result.folded.filter((seq) => !asked.has(seq) && !known.has(seq))),
      this.foldedAhead[0]!,
    ];
    if (set !== this.live) {
      for (const l of later) set.teach(l);
      this.live = set;
    }
    this.live.dirty.clear();
    for (const l of later) for (const key of this.live.keysOf(l.actionId)) this.live.dirty.add(key);
    this.lessons = later;
    this.learnedSeq = Math.max(this.learnedSeq, result.maxSeq);
  }
}
