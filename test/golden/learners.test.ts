// Golden runs: the progressive reward of every learner × explorer on a small fixed stream, and every learner's
// progressive log loss on a fixed binary stream, pinned in golden/*.json. A change to a learner, an explorer or
// the random streams shows here as a diff in review; re-pin deliberately with `npx vitest run test/golden -u`
// and say in the commit why the numbers moved (and that the benchmarks agree).
import { describe, expect, it } from 'vitest';
import { runPass } from '../../bench/cbify.ts';
import { type Dataset, shuffledOrder } from '../../bench/lib/dataset.ts';
import { runEnginePass } from '../../bench/lib/enginePass.ts';
import { mulberry32 } from '../../src/core/random.ts';
import type { Features } from '../../src/learn/learner.ts';
import {
  DEFAULT_EXPLORER,
  DEFAULT_LEARNER,
  EXPLORER_NAMES,
  LEARNER_NAMES,
  LEARNERS,
} from '../../src/learn/registry.ts';

const SEGMENTS = ['basic', 'family', 'business'] as const;

/** A row as customers look: a numeric age, a categorical segment, a noisy score and sometimes a gap. */
function customer(rnd: () => number): Features {
  return {
    age: Math.round(18 + 62 * rnd()),
    segment: SEGMENTS[Math.floor(rnd() * 3)]!,
    score: Math.round((rnd() + rnd() + rnd() - 1.5) * 100) / 100,
    tenure: rnd() < 0.1 ? null : Math.floor(rnd() * 120),
  };
}

/** 800 rows whose class (the best of four actions) depends on age, segment and score, with 15 % noise. */
function stream(): Dataset {
  const rnd = mulberry32(20261202);
  const rows = Array.from({ length: 800 }, () => {
    const x = customer(rnd);
    const age = x.age as number;
    let label = x.segment === 'business' ? 3 : age < 35 ? 0 : (x.score as number) > 0 ? 1 : 2;
    if (rnd() < 0.15) label = Math.floor(rnd() * 4);
    return { x, label };
  });
  return {
    name: 'golden',
    labels: ['A', 'B', 'C', 'D'],
    rows,
    numeric: ['age', 'score', 'tenure'],
    categorical: ['segment'],
  };
}

/** 1,500 binary responses with a logistic truth in age, segment and score. */
function binaryStream(): Array<{ x: Features; y: number }> {
  const rnd = mulberry32(7);
  return Array.from({ length: 1500 }, () => {
    const x = customer(rnd);
    const logit =
      -1.5 + 0.04 * ((x.age as number) - 45) + (x.segment === 'family' ? 1 : 0) + 1.2 * (x.score as number);
    return { x, y: rnd() < 1 / (1 + Math.exp(-logit)) ? 1 : 0 };
  });
}

const round = (v: number) => Math.round(v * 1e9) / 1e9;

describe('golden runs (re-pin with -u only on purpose)', () => {
  it('progressive reward of every learner × explorer on the fixed 4-action stream', async () => {
    const data = stream();
    const table: Record<string, { reward: number; curve: number[] }> = {};
    for (const learner of LEARNER_NAMES)
      for (const explorer of EXPLORER_NAMES) {
        const pass = runPass(data, learner, explorer, 1, {}, 200);
        table[`${learner} × ${explorer}`] = { reward: round(pass.reward), curve: pass.curve.map(round) };
      }
    await expect(`${JSON.stringify(table, null, 2)}\n`).toMatchFileSnapshot('golden/cbify.json');
  });

  it('progressive log loss and five probe predictions of every learner on the fixed binary stream', async () => {
    const rows = binaryStream();
    const table: Record<string, { logLoss: number[]; probe: number[] }> = {};
    const probes = rows.slice(0, 5).map((r) => r.x);
    for (const name of LEARNER_NAMES) {
      const model = LEARNERS[name]();
      const logLoss: number[] = [];
      let loss = 0;
      rows.forEach(({ x, y }, t) => {
        const p = Math.min(1 - 1e-12, Math.max(1e-12, model.predict(x)));
        loss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
        model.learn(x, y);
        if ((t + 1) % 300 === 0) logLoss.push(round(loss / (t + 1)));
      });
      table[name] = { logLoss, probe: probes.map((x) => round(model.predict(x))) };
    }
    await expect(`${JSON.stringify(table, null, 2)}\n`).toMatchFileSnapshot('golden/propensity.json');
  });

  it("the default pair's reward on the same stream through the engine's decide and outcome path", async () => {
    const data = stream();
    const order = shuffledOrder(data.rows.length, 1, mulberry32);
    const pass = await runEnginePass(data, DEFAULT_LEARNER, DEFAULT_EXPLORER, 1, order);
    const direct = runPass(data, DEFAULT_LEARNER, DEFAULT_EXPLORER, 1).reward;
    // Both learn the stream (random is 0.25); they differ only by their random draws.
    expect(pass.reward).toBeGreaterThan(0.6);
    expect(Math.abs(pass.reward - direct)).toBeLessThan(0.08);
    await expect(`${JSON.stringify({ reward: round(pass.reward) }, null, 2)}\n`).toMatchFileSnapshot(
      'golden/engine.json',
    );
  });
});
