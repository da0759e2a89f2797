import { describe, expect, it } from 'vitest';
import { AdaptiveBinnedBayes } from '../../../src/learn/binned/model.ts';
import { STATE_FORMAT } from '../../../src/learn/binned/state.ts';
import { learnerFromJSON } from '../../../src/learn/registry.ts';
import { syntheticStream } from '../conformance.ts';

function trained(): { m: AdaptiveBinnedBayes; stream: ReturnType<typeof syntheticStream> } {
  const m = new AdaptiveBinnedBayes();
  const stream = syntheticStream(1200, 4);
  for (const { x, y } of stream) m.learn(x, y);
  return { m, stream };
}

describe('binned learner state', () => {
  it('is versioned, and a state stored before the version (format 1) restores exactly', () => {
    const { m, stream } = trained();
    const state = JSON.parse(JSON.stringify(m.toJSON()));
    expect(state.format).toBe(STATE_FORMAT);
    delete state.format;
    const old = AdaptiveBinnedBayes.fromJSON(state);
    for (const { x } of stream.slice(0, 50)) expect(old.predict(x)).toBe(m.predict(x));
    for (const { x, y } of stream.slice(0, 200)) {
      old.learn(x, y);
      m.learn(x, y);
    }
    expect(JSON.stringify(old.toJSON())).toBe(JSON.stringify(m.toJSON()));
  });

  it('refuses a newer format, an invalid one and a damaged state with a message that says why', () => {
    const state = JSON.parse(JSON.stringify(trained().m.toJSON()));
    const predictor = Object.keys(state.predictors)[0]!;
    expect(() => learnerFromJSON({ ...state, format: 3 })).toThrow(
      'adaptiveBinnedBayes state format 3 is newer than this version reads (up to 2)',
    );
    expect(() => learnerFromJSON({ ...state, format: 'two' })).toThrow(
      'adaptiveBinnedBayes state has an invalid format "two"',
    );
    const damaged = {
      ...state,
      predictors: { ...state.predictors, [predictor]: { type: 'numeric', pos: 'x' } },
    };
    expect(() => learnerFromJSON(damaged)).toThrow(
      `adaptiveBinnedBayes state is not readable at predictors.${predictor}.cuts`,
    );
    const { calibration: _, ...withoutCalibration } = state;
    expect(() => learnerFromJSON(withoutCalibration)).toThrow(
      'adaptiveBinnedBayes state is not readable at calibration',
    );
  });
});
