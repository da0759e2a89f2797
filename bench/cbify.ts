// npm run bench:cbify — contextual bandits on classification data (PROTOCOL.md section 1): each class is an
// action, the policy sees a row, one action is drawn from its probabilities, reward 1 if it is the row's class.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { mulberry32 } from '../src/core/random.ts';
import { RowViews } from '../src/learn/binned/rowView.ts';
import type { Arm } from '../src/learn/explorer.ts';
import { sampleIndex } from '../src/learn/explorer.ts';
import {
  DEFAULT_EXPLORER,
  DEFAULT_LEARNER,
  EXPLORERS,
  type ExplorerName,
  LEARNERS,
  type LearnerName,
} from '../src/learn/registry.ts';
import { expectedCalibrationError } from '../src/measure/modelQuality.ts';
import { type Dataset, loadDataset, SHARED_DATA, shuffledOrder, stressed } from './lib/dataset.ts';
import { runEnginePass } from './lib/enginePass.ts';
import { progress, writeResult } from './lib/results.ts';

interface Row {
  dataset: string;
  learner: string;
  explore: string;
  isDefault: boolean;
  meanReward: number;
  sdReward: number;
  /** Expected calibration error of the chosen actions' propensities (10 equal-mass bins), mean over seeds. */
  ece: number;
  randomReward: number;
  mostFrequentReward: number;
  examplesPerSecond: number;
  peakRssMb: number;
  /** With --engine: the same pass through the engine's decide and outcome path. */
  engine?: { meanReward: number; sdReward: number; decisionsPerSecond: number };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/**
 * One progressive pass; returns the mean reward, the seconds spent in the learning loop and, when `every` is
 * given, the mean reward so far after every `every` rows (the golden runs pin that curve).
 */
export function runPass(
  data: Dataset,
  learner: LearnerName,
  explore: ExplorerName,
  seed: number,
  tuning: { learner?: object; explore?: object } = {},
  every = 0,
) {
  const k = data.labels.length;
  // One row view for the pass's models, as the engine's model set has: each row is read once for all k.
  const views = new RowViews();
  const models = Array.from({ length: k }, () => LEARNERS[learner](tuning.learner, views));
  const explorer = EXPLORERS[explore](tuning.explore);
  const needsSd = explore === 'thompson';
  const order = shuffledOrder(data.rows.length, seed, mulberry32);
  const draw = mulberry32(seed);
  const inner = mulberry32(seed ^ 0x5bd1e995);
  const arms: Arm[] = Array.from({ length: k }, () => ({ score: 0, propensity: 0, logitSd: 0 }));
  let reward = 0;
  const curve: number[] = [];
  // The chosen action's propensity as predicted before its reward was known, for the calibration error.
  const predicted = new Array<number>(order.length);
  const rewarded = new Array<number>(order.length);
  const started = process.hrtime.bigint();
  for (let t = 0; t < order.length; t++) {
    const row = data.rows[order[t]!]!;
    for (let a = 0; a < k; a++) {
      const p = models[a]!.predict(row.x);
      const arm = arms[a]!;
      arm.score = p;
      arm.propensity = p;
      arm.logitSd = needsSd ? models[a]!.logitSd(row.x) : 0;
      arm.evidence = models[a]!.responses;
    }
    const { probabilities } = explorer.choose(arms, inner, t);
    const action = sampleIndex(probabilities, draw);
    const r = action === row.label ? 1 : 0;
    reward += r;
    predicted[t] = arms[action]!.propensity;
    rewarded[t] = r;
    models[action]!.learn(row.x, r);
    if (every > 0 && (t + 1) % every === 0) curve.push(reward / (t + 1));
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    reward: reward / order.length,
    seconds,
    curve,
    ece: expectedCalibrationError(predicted, rewarded),
  };
}

function classificationSets(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => join(dir, f))
    .filter((f) => {
      // A classification set has a `class` column (bank-marketing, with `y`, is the propensity set).
      const header = readFileSyncHead(f);
      return /(^|,)"?class"?(,|$)/.test(header);
    })
    .sort();
}

function readFileSyncHead(path: string): string {
  const text = readFileSync(path, 'utf8');
  return text.slice(0, text.indexOf('\n'));
}

async function main() {
  const opts = new Command()
    .option('--data <csv>', 'one CSV file (default: every classification set in ../shared/bench/data)')
    .option('--target <column>', 'target column', 'class')
    .option('--learner <name>', `one learner (${Object.keys(LEARNERS).join(', ')})`)
    .option('--explore <name>', `one explorer (${Object.keys(EXPLORERS).join(', ')})`)
    .option('--default', 'only the engine default pair')
    .option('--seeds <list>', 'seeds', '1,2,3,4,5')
    .option('--json', 'print only a JSON array of rows')
    .option('--engine', "also play each pass through the engine's decide and outcome path (SQLite in memory)")
    .option(
      '--skew <share>',
      'robustness: keep a sample of the rows so that the most frequent class is this share',
    )
    .option('--outliers <fraction>', 'robustness: multiply this fraction of numeric cells by ±1e9…1e12')
    .option('--learner-options <json>', 'options passed to the learner (for tuning experiments)')
    .option('--explore-options <json>', 'options passed to the explorer (for tuning experiments)')
    .parse()
    .opts<{
      data?: string;
      target: string;
      learner?: string;
      explore?: string;
      default?: boolean;
      seeds: string;
      json?: boolean;
      engine?: boolean;
      skew?: string;
      outliers?: string;
      learnerOptions?: string;
      exploreOptions?: string;
    }>();
  const tuning = {
    learner: opts.learnerOptions ? (JSON.parse(opts.learnerOptions) as object) : undefined,
    explore: opts.exploreOptions ? (JSON.parse(opts.exploreOptions) as object) : undefined,
  };
  const seeds = opts.seeds.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s)))
    throw new Error(`--seeds: not a list of integers: ${opts.seeds}`);
  if (opts.learner && !(opts.learner in LEARNERS))
    throw new Error(`--learner: unknown learner '${opts.learner}'`);
  if (opts.explore && !(opts.explore in EXPLORERS))
    throw new Error(`--explore: unknown explorer '${opts.explore}'`);

  let files: string[];
  if (opts.data) {
    if (!existsSync(opts.data)) {
      console.error(`--data: ${opts.data}: no such file`);
      process.exit(1);
    }
    files = [opts.data];
  } else {
    if (!existsSync(SHARED_DATA)) {
      console.error(`shared data not found at ${SHARED_DATA}: skipping the cbify benchmark`);
      if (opts.json) console.log('[]');
      return;
    }
    files = classificationSets(SHARED_DATA);
  }

  const pairs: Array<[LearnerName, ExplorerName]> = [];
  if (opts.default) pairs.push([DEFAULT_LEARNER, DEFAULT_EXPLORER]);
  else {
    for (const l of Object.keys(LEARNERS) as LearnerName[]) {
      if (opts.learner && l !== opts.learner) continue;
      for (const e of Object.keys(EXPLORERS) as ExplorerName[]) {
        if (opts.explore && e !== opts.explore) continue;
        pairs.push([l, e]);
      }
    }
  }

  const rows: Row[] = [];
  for (const file of files) {
    const data = stressed(
      loadDataset(file, opts.target),
      {
        ...(opts.skew !== undefined ? { skew: Number(opts.skew) } : {}),
        ...(opts.outliers !== undefined ? { outliers: Number(opts.outliers) } : {}),
      },
      mulberry32,
    );
    const counts = new Array<number>(data.labels.length).fill(0);
    for (const r of data.rows) counts[r.label]!++;
    const mostFrequent = Math.max(...counts) / data.rows.length;
    for (const [learner, explore] of pairs) {
      const tick = progress(`${data.name} ${learner}/${explore}`, seeds.length);
      const rewards: number[] = [];
      const eces: number[] = [];
      const engineRewards: number[] = [];
      let seconds = 0;
      let engineSeconds = 0;
      for (const [i, seed] of seeds.entries()) {
        const r = runPass(data, learner, explore, seed, tuning);
        rewards.push(r.reward);
        eces.push(r.ece);
        seconds += r.seconds;
        if (opts.engine) {
          // The same rows in the same order as the direct pass; the engine draws from its own seeded source.
          const e = await runEnginePass(
            data,
            learner,
            explore,
            seed,
            shuffledOrder(data.rows.length, seed, mulberry32),
          );
          engineRewards.push(e.reward);
          engineSeconds += e.seconds;
        }
        tick(i + 1);
      }
      const row: Row = {
        dataset: data.name,
        learner,
        explore,
        isDefault:
          learner === DEFAULT_LEARNER &&
          explore === DEFAULT_EXPLORER &&
          !opts.learnerOptions &&
          !opts.exploreOptions,
        meanReward: round(mean(rewards), 4),
        sdReward: round(sd(rewards), 4),
        ece: round(mean(eces), 4),
        randomReward: round(1 / data.labels.length, 4),
        mostFrequentReward: round(mostFrequent, 4),
        examplesPerSecond: Math.round((data.rows.length * seeds.length) / seconds),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        ...(opts.engine
          ? {
              engine: {
                meanReward: round(mean(engineRewards), 4),
                sdReward: round(sd(engineRewards), 4),
                decisionsPerSecond: Math.round((data.rows.length * seeds.length) / engineSeconds),
              },
            }
          : {}),
      };
      rows.push(row);
      if (!opts.json) {
        console.log(
          `${row.dataset.padEnd(12)} ${`${learner}/${explore}`.padEnd(34)} ${row.meanReward.toFixed(4)} ± ${row.sdReward
            .toFixed(4)
            .padEnd(
              7,
            )} random ${row.randomReward.toFixed(4)}  mostFrequent ${row.mostFrequentReward.toFixed(4)}  ECE ${row.ece.toFixed(4)}  ${String(
            row.examplesPerSecond,
          ).padStart(7)} ex/s  ${row.peakRssMb} MB${row.isDefault ? '  (default)' : ''}`,
        );
        if (row.engine)
          console.log(
            `${''.padEnd(12)} ${'  through the engine'.padEnd(34)} ${row.engine.meanReward.toFixed(4)} ± ${row.engine.sdReward.toFixed(4).padEnd(7)} ` +
              `difference ${(row.engine.meanReward - row.meanReward).toFixed(4)}  ${String(row.engine.decisionsPerSecond).padStart(7)} decisions/s (decide + outcome)`,
          );
      }
    }
  }
  const command = `npm run bench:cbify -- ${process.argv.slice(2).join(' ')}`.trim();
  const path = writeResult('cbify', rows, command);
  if (opts.json) console.log(JSON.stringify(rows));
  else console.log(`results: ${path}`);
}

function round(x: number, digits: number) {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}

// Run only as a script, so that other benchmarks (and quick speed checks) can import runPass.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
