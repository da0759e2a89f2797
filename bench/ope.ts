// Off-policy evaluation on the Open Bandit Dataset sample (PROTOCOL.md §3): from the uniform-random logs alone,
// estimate the click rate of the Bernoulli-TS policy, and compare with its on-policy click rate in the BTS logs.
// DM, IPS, SNIPS and DR (src/measure/ope.ts), 30 bootstrap resamples of the random logs per campaign.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { parse as parseYaml } from 'yaml';
import { mulberry32 } from '../src/core/random.ts';
import type { Features } from '../src/learn/learner.ts';
import { LEARNERS, type LearnerName } from '../src/learn/registry.ts';
import { OPE_ESTIMATORS, type OpeRound, offPolicyEstimates } from '../src/measure/ope.ts';
import { SHARED_DATA } from './lib/dataset.ts';
import { progress, writeResult } from './lib/results.ts';

const PUBLISHED: Record<string, number> = { DM: 0.157, IPS: 0.311, SNIPS: 0.312, DR: 0.292 };

interface LoggedRound {
  item: number;
  position: number;
  click: number;
  propensity: number;
  user: string[];
  affinity: number[];
}

function readLogs(path: string): LoggedRound[] {
  const records = parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Array<
    Record<string, string>
  >;
  const first = records[0] ?? {};
  const userColumns = Object.keys(first).filter((c) => c.startsWith('user_feature_'));
  const affinityColumns = Object.keys(first)
    .filter((c) => c.startsWith('user-item_affinity_'))
    .sort((a, b) => Number(a.split('_').pop()) - Number(b.split('_').pop()));
  return records.map((r) => ({
    item: Number(r.item_id),
    position: Number(r.position),
    click: Number(r.click),
    propensity: Number(r.propensity_score),
    user: userColumns.map((c) => r[c] ?? ''),
    affinity: affinityColumns.map((c) => Number(r[c])),
  }));
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape ≥ 1 here (the BTS priors are counts ≥ 1). */
function gamma(shape: number, rng: () => number): number {
  if (shape < 1) return gamma(shape + 1, rng) * rng() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      const u1 = 1 - rng();
      const u2 = rng();
      x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** P(item i at position k) under Bernoulli TS: sample θ_i ~ Beta(α_i, β_i), rank by θ (Monte Carlo). */
function btsDistribution(
  alpha: number[],
  beta: number[],
  positions: number,
  simulations: number,
  seed: number,
) {
  const rng = mulberry32(seed);
  const k = alpha.length;
  const counts = Array.from({ length: positions }, () => new Float64Array(k));
  const theta = new Float64Array(k);
  const order = Array.from({ length: k }, (_, i) => i);
  for (let s = 0; s < simulations; s++) {
    for (let i = 0; i < k; i++) {
      const a = gamma(alpha[i]!, rng);
      theta[i] = a / (a + gamma(beta[i]!, rng));
    }
    order.sort((x, y) => theta[y]! - theta[x]!);
    for (let p = 0; p < positions; p++) counts[p]![order[p]!]! += 1;
  }
  return counts.map((c) => Array.from(c, (n) => n / simulations));
}

function features(r: LoggedRound, item: number): Features {
  const x: Record<string, string | number> = { item: String(item), position: String(r.position) };
  r.user.forEach((u, i) => {
    x[`user${i}`] = u;
  });
  x.affinity = r.affinity[item] ?? 0;
  return x;
}

/** Per-round OPE inputs, with a logistic reward model cross-fitted on two halves (no round predicts itself). */
function opeRounds(logs: readonly LoggedRound[], target: number[][], seed: number): OpeRound[] {
  const folds = [0, 1].map(() => LEARNERS[rewardModel]({ priorPositives: 1, priorNegatives: 99 }));
  const rng = mulberry32(seed);
  const fold = logs.map(() => (rng() < 0.5 ? 0 : 1));
  for (const [i, r] of logs.entries()) folds[fold[i]!]!.learn(features(r, r.item), r.click);
  const items = target[0]!.length;
  return logs.map((r, i) => {
    const model = folds[1 - fold[i]!]!;
    const pi = target[r.position - 1]!;
    let directValue = 0;
    for (let a = 0; a < items; a++) if (pi[a]! > 0) directValue += pi[a]! * model.predict(features(r, a));
    return {
      reward: r.click,
      loggingProbability: r.propensity,
      targetProbability: pi[r.item] ?? 0,
      directValue,
      modelledReward: model.predict(features(r, r.item)),
    };
  });
}

const opts = new Command()
  .option('--data <dir>', 'the obd folder (default: ../shared/bench/data/obd)')
  .option('--campaigns <list>', 'campaigns', 'men,women')
  .option('--bootstrap <n>', 'bootstrap resamples of the random logs', '30')
  .option('--simulations <n>', 'Monte Carlo rounds for the BTS action distribution', '100000')
  .option('--seed <n>', 'seed', '1')
  .option('--reward-model <learner>', 'the learner used as reward model (DM, DR)', 'adaptiveBinnedBayes')
  .option('--json', 'print only a JSON array of rows')
  .parse()
  .opts<{
    rewardModel: string;
    data?: string;
    campaigns: string;
    bootstrap: string;
    simulations: string;
    seed: string;
    json?: boolean;
  }>();

const dir = opts.data ?? join(SHARED_DATA, 'obd');
if (!existsSync(dir)) {
  if (opts.data) {
    console.error(`--data: ${dir}: no such folder`);
    process.exit(1);
  }
  console.error(`shared data not found at ${dir}: skipping the off-policy evaluation benchmark`);
  if (opts.json) console.log('[]');
  process.exit(0);
}
const seed = Number(opts.seed);
if (!(opts.rewardModel in LEARNERS)) {
  console.error(`--reward-model: unknown learner '${opts.rewardModel}'`);
  process.exit(1);
}
const rewardModel = opts.rewardModel as LearnerName;
const resamples = Number(opts.bootstrap);
const priors = parseYaml(readFileSync(join(dir, 'prior_bts.yaml'), 'utf8')) as Record<
  string,
  { alpha: number[]; beta: number[] }
>;

interface Row {
  campaign: string;
  estimator: string;
  estimate: number;
  truth: number;
  relativeError: number;
  sdRelativeError: number;
}
const rows: Row[] = [];
for (const campaign of opts.campaigns.split(',')) {
  const random = readLogs(join(dir, 'random', campaign, `${campaign}.csv`));
  const bts = readLogs(join(dir, 'bts', campaign, `${campaign}.csv`));
  const truth = bts.reduce((s, r) => s + r.click, 0) / bts.length;
  const prior = priors[campaign];
  if (!prior) throw new Error(`prior_bts.yaml has no campaign '${campaign}'`);
  const positions = Math.max(...random.map((r) => r.position));
  const target = btsDistribution(prior.alpha, prior.beta, positions, Number(opts.simulations), seed);
  const tick = progress(`obd ${campaign}`, resamples);
  const estimates = new Map<string, number[]>(OPE_ESTIMATORS.map((e) => [e, []]));
  const rng = mulberry32(seed * 7919);
  for (let b = 0; b < resamples; b++) {
    const sample = random.map(() => random[Math.floor(rng() * random.length)]!);
    for (const e of offPolicyEstimates(opeRounds(sample, target, seed + b)))
      estimates.get(e.estimator)!.push(e.estimate);
    tick(b + 1);
  }
  for (const [estimator, values] of estimates) {
    const errors = values.map((v) => Math.abs(v - truth) / truth);
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const m = mean(errors);
    const sd = Math.sqrt(errors.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, errors.length - 1));
    rows.push({
      campaign,
      estimator,
      estimate: Number(mean(values).toPrecision(4)),
      truth: Number(truth.toPrecision(4)),
      relativeError: Number(m.toFixed(4)),
      sdRelativeError: Number(sd.toFixed(4)),
    });
  }
}

const path = writeResult('ope', rows, `npm run bench:ope -- ${process.argv.slice(2).join(' ')}`.trim());
if (opts.json) console.log(JSON.stringify(rows));
else {
  console.log(
    'campaign  estimator  estimate   truth   relative error (mean ± sd over resamples)  published (OBD all)',
  );
  for (const r of rows) {
    console.log(
      `${r.campaign.padEnd(8)}  ${r.estimator.padEnd(9)}  ${r.estimate.toFixed(5)}  ${r.truth.toFixed(5)}  ${r.relativeError.toFixed(3)} ± ${r.sdRelativeError.toFixed(3)}${' '.repeat(28)}${PUBLISHED[r.estimator]?.toFixed(3) ?? ''}`,
    );
  }
  console.log(`results: ${path}`);
}
