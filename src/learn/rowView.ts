// A numeric view of a frozen feature row, shared by every model that scores it. A decision scores the same row
// with one model per action (26 on letter, hundreds in a large catalog); looking each predictor up by name in
// the row object costs each model a hash lookup per predictor, whereas this reads the row once and lets every
// model index a typed array. Only frozen rows are viewed: a frozen object cannot change, so the view of the
// last one stays valid for as long as the same object comes back (callers that mutate their rows simply get no
// view and take the lookup path).
import type { Features } from './learner.ts';

/** Names learned by some model, each with its slot in the view; process-wide, bounded. */
const slots = new Map<string, number>();
/** Beyond this many distinct names, further predictors are looked up by name (a bound on memory, not a limit). */
const MAX_SLOTS = 16_384;

let values = new Float64Array(64).fill(Number.NaN);
/** Slots written for the current row, reset to NaN before the next one. */
let written = new Int32Array(64);
let writtenCount = 0;
let current: object | undefined;
let currentSlots = 0;

/** The slot of a predictor name (registered on first use), or -1 when the registry is full. */
export function slotOf(name: string): number {
  const known = slots.get(name);
  if (known !== undefined) return known;
  if (slots.size >= MAX_SLOTS) return -1;
  const slot = slots.size;
  slots.set(name, slot);
  if (slot >= values.length) {
    const grown = new Float64Array(values.length * 2).fill(Number.NaN);
    grown.set(values);
    values = grown;
  }
  return slot;
}

/**
 * Every registered predictor's value in x as a number (NaN: missing, not a number, or not finite), indexed by
 * slot; undefined when x is not frozen. The array is reused: it is valid until the next call.
 */
export function numericView(x: Features): Float64Array | undefined {
  if (x === current && currentSlots === slots.size) return values;
  if (!Object.isFrozen(x)) return undefined;
  for (let k = 0; k < writtenCount; k++) values[written[k]!] = Number.NaN;
  writtenCount = 0;
  for (const name in x) {
    const slot = slots.get(name);
    if (slot === undefined) continue;
    const v = x[name];
    if (typeof v !== 'number' || v - v !== 0) continue;
    values[slot] = v;
    if (writtenCount >= written.length) {
      const grown = new Int32Array(written.length * 2);
      grown.set(written);
      written = grown;
    }
    written[writtenCount++] = slot;
  }
  current = x;
  currentSlots = slots.size;
  return values;
}
