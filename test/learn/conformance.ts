// One conformance suite every learner passes (after River's estimator checks).
import { expect, it } from 'vitest';
import { mulberry32 } from '../../src/core/random.ts';
import type { Features, Learner } from '../../src/learn/learner.ts';
import { learnerFromJSON } from '../../src/learn/registry.ts';

/** A small synthetic stream: acceptance depends on one numeric and one categorical feature. */
export function syntheticStream(n: number, seed: number): Array<{ x: Features; y: number }> {
  const rnd = mulberry32(seed);
  const out: Array<{ x: Features; y: number }> = [];
  for (let i = 0; i < n; i++) {
    const age = 18 + rnd() * 60;
    const segment = rnd() < 0.3 ? 'gold' : 'basic';
    const p = 0.05 + (segment === 'gold' ? 0.3 : 0) + (age < 35 ? 0.1 : 0);
    out.push({
      x: { 'customer.age': age, 'customer.segment': segment, channel: 'web' },
      y: rnd() < p ? 1 : 0,
    });
  }
  return out;
}

/**
 * `mergeTolerance`: largest difference in predicted probability between merged halves and one learner fed
 * both. Exact for count-based learners; binned learners place bins from different samples, so they differ a little.
 */
export function learnerConformance(make: () => Learner, mergeTolerance = 0.005) {
  const stream = syntheticStream(2000, 11);
  const probes: Features[] = [
    { 'customer.age': 25, 'customer.segment': 'gold', channel: 'web' },
    { 'customer.age': 60, 'customer.segment': 'basic', channel: 'web' },
  ];

  it('predicts probabilities in [0, 1], also for unseen features and missing values', () => {
    const m = make();
    for (const { x, y } of stream.slice(0, 200)) m.learn(x, y);
    for (const x of [...probes, {}, { 'customer.never': 'seen', other: null, n: undefined }]) {
      const p = m.predict(x);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic: the same stream gives the same predictions', () => {
    const a = make();
    const b = make();
    for (const { x, y } of stream) {
      a.learn(x, y);
      b.learn(x, y);
    }
    for (const x of probes) expect(a.predict(x)).toBe(b.predict(x));
  });

  it('round-trips through JSON and predicts the same', () => {
    const m = make();
    for (const { x, y } of stream) m.learn(x, y);
    const copy = learnerFromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    for (const x of probes) expect(copy.predict(x)).toBeCloseTo(m.predict(x), 12);
    expect(copy.report()).toEqual(m.report());
  });

  restoresExactly(make, stream, probes);

  // The engine keeps stored states beside its live models and replays folds from them: a state must not move
  // when the model it came from, or a model restored from it, learns on.
  it('its state is a snapshot: learning after toJSON or fromJSON leaves the state as it was', () => {
    const m = make();
    for (const { x, y } of stream.slice(0, 700)) m.learn(x, y);
    const state = m.toJSON();
    const before = JSON.stringify(state);
    const restored = learnerFromJSON(state);
    for (const { x, y } of stream.slice(700, 1400)) {
      m.learn(x, y);
      restored.learn(x, y);
    }
    m.forget(0.5);
    restored.unlearn(stream[0]!.x, stream[0]!.y);
    expect(JSON.stringify(state)).toBe(before);
  });

  it('merge of two halves matches one learner fed both', () => {
    const whole = make();
    const left = make();
    const right = make();
    stream.forEach(({ x, y }, i) => {
      whole.learn(x, y);
      (i % 2 === 0 ? left : right).learn(x, y);
    });
    left.merge(right);
    for (const x of probes) expect(Math.abs(left.predict(x) - whole.predict(x))).toBeLessThan(mergeTolerance);
    expect(left.report().responses).toBeCloseTo(whole.report().responses, 6);
  });

  it('unlearn takes a response back', () => {
    const base = make();
    const taken = make();
    for (const { x, y } of stream.slice(0, 500)) {
      base.learn(x, y);
      taken.learn(x, y);
    }
    taken.learn(probes[0]!, 0);
    taken.unlearn(probes[0]!, 0);
    for (const x of probes) expect(Math.abs(taken.predict(x) - base.predict(x))).toBeLessThan(0.01);
    expect(taken.responses).toBeCloseTo(base.responses, 9);
  });

  it('does not change its inputs', () => {
    const m = make();
    const x = { 'customer.age': 30, 'customer.segment': 'gold' };
    const before = JSON.stringify(x);
    m.learn(x, 1);
    m.predict(x);
    expect(JSON.stringify(x)).toBe(before);
  });

  it('counts its evidence', () => {
    const m = make();
    for (const { x, y } of stream.slice(0, 100)) m.learn(x, y);
    m.learn(probes[0]!, 1, 2);
    expect(m.report().responses).toBeCloseTo(102, 6);
  });

  it('forgets: evidence shrinks by the factor and a new rate is followed faster', () => {
    const rnd = mulberry32(5);
    const x = { 'customer.segment': 'gold' };
    const forgetting = make();
    const remembering = make();
    for (let i = 0; i < 1000; i++) {
      const y = rnd() < 0.8 ? 1 : 0;
      forgetting.learn(x, y);
      remembering.learn(x, y);
    }
    forgetting.forget(0.01);
    expect(forgetting.responses).toBeCloseTo(remembering.responses * 0.01, 6);
    for (let i = 0; i < 100; i++) {
      forgetting.learn(x, 0);
      remembering.learn(x, 0);
    }
    expect(forgetting.predict(x)).toBeLessThan(remembering.predict(x) - 0.2);
    expect(() => forgetting.forget(0)).toThrow(RangeError);
    expect(() => forgetting.forget(1.5)).toThrow(RangeError);
  });
}

// What several processes rely on: a model restored from its stored state and taught the rest of a stream is
// the model that learned all of it in memory (state and every prediction on the way, exactly), wherever the
// stream is cut. Predict before each learn, as the engine does.
export function restoresExactly(
  make: () => Learner,
  stream = syntheticStream(2000, 11),
  probes: readonly Features[] = [],
) {
  it('restored midway and taught the rest, it is the learner that learned the whole stream in memory', () => {
    const whole = make();
    const cuts = new Set([3, 40, 333, 1000, 1501]);
    let restored = make();
    stream.forEach(({ x, y }, i) => {
      if (cuts.has(i)) restored = learnerFromJSON(JSON.parse(JSON.stringify(restored.toJSON())));
      expect(restored.predict(x)).toBe(whole.predict(x));
      whole.learn(x, y);
      restored.learn(x, y);
    });
    expect(JSON.stringify(restored.toJSON())).toBe(JSON.stringify(whole.toJSON()));
    for (const x of probes) expect(restored.predict(x)).toBe(whole.predict(x));
  });
}
