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
// takes them in commit order: the same evidence, learned in a slightly different order, which the log records
// (each outcome keeps the generation of the fold that taught it), so that a rebuild replays that very order.
// A model restored from its state predicts and learns exactly as the one that learned in memory, so every
// process holds the stored models after its next fold.

import { type Lesson, lessonOf, type ModelContext, ModelSet } from '../core/modelSet.ts';
import type { ModelRepository, StoredModel } from '../store/store.ts';

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
    private readonly log: (line: string) => void = (line) => console.error(line),
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

  private async foldOnce(requested: ReadonlySet<string>): Promise<void> {
    // Stored models this process could not read (a newer version's state, a damaged one) are rebuilt from the
    // whole log, which holds every outcome they learned.
    const rebuild = new Set([...requested, ...this.live.unreadable.keys()]);
    for (const [key, why] of this.live.unreadable)
      this.log(`model ${key}: the stored state cannot be read (${why}); rebuilding it from the outcome log`);
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
          if (o.foldedIn === 0) {
            const lesson = lessonOf(catalog, o, o.corrects > 0 && o.correctsFolded);
            if (lesson) set.teach(lesson);
          } else if (catalog.actionsById.has(o.actionId)) {
            // A folded outcome is replayed only into the models being rebuilt, which start from nothing and
            // learn the stored models' history in the order they did (an expiry a fold taught, then its late
            // positive taking it back).
            const lesson = lessonOf(catalog, o, o.corrects > 0 && o.correctsFolded);
            if (lesson) set.teach(lesson, (key) => rebuild.has(key));
          }
        }
        // A model another process stored since, unreadable here, is not overwritten by a model that learned
        // only the unfolded outcomes: it stays unreadable in the adopted set, so the next fold rebuilds it.
        for (const key of set.unreadable.keys()) set.dirty.delete(key);
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
