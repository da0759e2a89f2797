// A numeric view of a frozen feature row, shared by the models that score it. A decision scores the same row
// with one model per action (26 on letter, hundreds in a large catalog); looking each predictor up by name in
// the row object costs each model a hash lookup per predictor, whereas this reads the row once and lets every
// model index a typed array. Only frozen rows are viewed: a frozen object cannot change, so the view of the
// last one stays valid for as long as the same object comes back (callers that mutate their rows simply get no
// view and take the lookup path).
//
// Not process-wide: whoever owns a set of models (an engine's model set, one benchmark pass) owns one RowViews
// and hands it to each of its models; a model made on its own gets a private one. Two engines in one process
// therefore never share slots or a current row.
import type { Features } from '../learner.ts';

/** Beyond this many distinct names, further predictors are looked up by name (a bound on memory, not a limit). */
const MAX_SLOTS = 16_384;

export class RowViews {
  /** Names learned by some model of the owner, each with its slot in the view. */
  private readonly slots = new Map<string, number>();
  private values = new Float64Array(64).fill(Number.NaN);
  /** Slots written for the current row, reset to NaN before the next one. */
  private written = new Int32Array(64);
  private writtenCount = 0;
  private current: object | undefined;
  private currentSlots = 0;

  /** The slot of a predictor name (registered on first use), or -1 when the registry is full. */
  slotOf(name: string): number {
    const known = this.slots.get(name);
    if (known !== undefined) return known;
    if (this.slots.size >= MAX_SLOTS) return -1;
    const slot = this.slots.size;
    this.slots.set(name, slot);
    if (slot >= this.values.length) {
      const grown = new Float64Array(this.values.length * 2).fill(Number.NaN);
      grown.set(this.values);
      this.values = grown;
    }
    return slot;
  }

  /**
   * Every registered predictor's value in x as a number (NaN: missing, not a number, or not finite), indexed by
   * slot; undefined when x is not frozen. The array is reused: it is valid until the next call.
   */
  view(x: Features): Float64Array | undefined {
    if (x === this.current && this.currentSlots === this.slots.size) return this.values;
    if (!Object.isFrozen(x)) return undefined;
    const values = this.values;
    for (let k = 0; k < this.writtenCount; k++) values[this.written[k]!] = Number.NaN;
    this.writtenCount = 0;
    for (const name in x) {
      const slot = this.slots.get(name);
      if (slot === undefined) continue;
      const v = x[name];
      if (typeof v !== 'number' || v - v !== 0) continue;
      values[slot] = v;
      if (this.writtenCount >= this.written.length) {
        const grown = new Int32Array(this.written.length * 2);
        grown.set(this.written);
        this.written = grown;
      }
      this.written[this.writtenCount++] = slot;
    }
    this.current = x;
    this.currentSlots = this.slots.size;
    return values;
  }
}
