// npm run bench:propensity — progressive AUC, log loss and calibration (ECE, slope) of each learner on binary data
// sets (PROTOCOL.md section 2): predict p for each row before learning from it, seeded shuffles, one pass. Without
// --data: bank marketing from the shared data and every set `npm run bench:data` wrote (churn, credit, loan
// default, attrition), each skipped with a line when absent.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { mulberry32 } from '../src/core/random.ts';
import { DEFAULT_LEARNER, LEARNERS, type LearnerName } from '../src/learn/registry.ts';
import { auc, calibrationSlope, expectedCalibrationError } from '../src/measure/modelQuality.ts';
import { type Dataset, loadDataset, SHARED_DATA, shuffledOrder } from './lib/dataset.ts';
import { progress, writeResult } from './lib/results.ts';

interface Row {
  dataset: string;
  learner: string;
  isDefault: boolean;
  auc: number;
  logLoss: number;
  /** Expected calibration error over 10 equal-mass bins of the progressive predictions. */
  ece: number;
  /** Calibration slope (logistic regression of the outcome on the predictions' log-odds; 1: calibrated). */
  calibrationSlope: number;
  examplesPerSecond: number;
}

/** A binary set: its file, target column and positive label. */
interface BinarySet {
  file: string;
  target: string;
  positive: string;
}

/** Where `npm run bench:data` writes the sets beyond bank marketing (NEXTBEST_EXTRA_DATA overrides it). */
const EXTRA_DATA = process.env.NEXTBEST_EXTRA_DATA ?? resolve(import.meta.dirname, 'data-extra');
/** Sets of other kinds than bank marketing (bench/data/modeldata.R): positive is the event a model would flag. */
const EXTRA_SETS: BinarySet[] = [
  { file: join(EXTRA_DATA, 'churn.csv'), target: 'churn', positive: 'yes' },
  { file: join(EXTRA_DATA, 'credit.csv'), target: 'Status', positive: 'bad' },
  { file: join(EXTRA_DATA, 'lending-club.csv'), target: 'Class', positive: 'bad' },
  { file: join(EXTRA_DATA, 'attrition.csv'), target: 'Attrition', positive: 'Yes' },
];

const opts = new Command()
  .option(
    '--data <csv>',
    'one binary CSV (default: bank marketing from ../shared/bench/data and the sets of npm run bench:data)',
  )
  .option('--target <column>', 'target column', 'y')
  .option('--positive <value>', 'the positive label', 'yes')
  .option('--learner <name>', `one learner (${Object.keys(LEARNERS).join(', ')})`)
  .option('--default', 'only the engine default learner')
  .option('--seeds <list>', 'seeds', '1,2,3,4,5')
  .option('--learner-options <json>', 'options passed to the learner (for tuning experiments)')
  .option('--json', 'print only a JSON array of rows')
  .parse()
  .opts<{
    data?: string;
    target: string;
    positive: string;
    learner?: string;
    default?: boolean;
    seeds: string;
    learnerOptions?: string;
    json?: boolean;
  }>();

if (opts.data && !existsSync(opts.data)) {
  console.error(`--data: ${opts.data}: no such file`);
  process.exit(1);
}
if (opts.learner && !(opts.learner in LEARNERS)) {
  console.error(`--learner: unknown learner '${opts.learner}'`);
  process.exit(1);
}
const seeds = opts.seeds.split(',').map((s) => Number(s.trim()));
const tuning = opts.learnerOptions ? (JSON.parse(opts.learnerOptions) as object) : undefined;
const candidates: BinarySet[] = opts.data
  ? [{ file: opts.data, target: opts.target, positive: opts.positive }]
  : [{ file: join(SHARED_DATA, 'bank-marketing.csv'), target: 'y', positive: 'yes' }, ...EXTRA_SETS];
const sets = candidates.filter((set) => {
  if (existsSync(set.file)) return true;
  if (!opts.json) console.error(`${set.file} not found: skipped (see npm run bench:data and PROTOCOL.md)`);
  return false;
});
const learners = (Object.keys(LEARNERS) as LearnerName[]).filter((l) =>
  opts.default ? l === DEFAULT_LEARNER : !opts.learner || l === opts.learner,
);

const rows: Row[] = [];
function run(data: Dataset, positive: number, learner: LearnerName): void {
  const tick = progress(`${data.name} ${learner}`, seeds.length);
  const aucs: number[] = [];
  const losses: number[] = [];
  const eces: number[] = [];
  const slopes: number[] = [];
  let seconds = 0;
  seeds.forEach((seed, s) => {
    const model = LEARNERS[learner](tuning);
    const order = shuffledOrder(data.rows.length, seed, mulberry32);
    const scores = new Array<number>(order.length);
    const labels = new Array<number>(order.length);
    let loss = 0;
    const started = process.hrtime.bigint();
    order.forEach((r, t) => {
      const row = data.rows[r]!;
      const y = row.label === positive ? 1 : 0;
      const p = Math.min(1 - 1e-15, Math.max(1e-15, model.predict(row.x)));
      scores[t] = p;
      labels[t] = y;
      loss -= y === 1 ? Math.log(p) : Math.log(1 - p);
      model.learn(row.x, y);
    });
    seconds += Number(process.hrtime.bigint() - started) / 1e9;
    aucs.push(auc(scores, labels));
    losses.push(loss / order.length);
    eces.push(expectedCalibrationError(scores, labels));
    slopes.push(calibrationSlope(scores, labels).slope);
    tick(s + 1);
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  rows.push({
    dataset: data.name,
    learner,
    isDefault: learner === DEFAULT_LEARNER && !tuning,
    auc: Math.round(mean(aucs) * 10000) / 10000,
    logLoss: Math.round(mean(losses) * 10000) / 10000,
    ece: Math.round(mean(eces) * 10000) / 10000,
    calibrationSlope: Math.round(mean(slopes) * 1000) / 1000,
    examplesPerSecond: Math.round((data.rows.length * seeds.length) / seconds),
  });
  const row = rows[rows.length - 1]!;
  if (!opts.json) {
    console.log(
      `${row.dataset.padEnd(16)} ${learner.padEnd(22)} AUC ${row.auc.toFixed(4)}  log loss ${row.logLoss.toFixed(4)}  ECE ${row.ece.toFixed(4)}  slope ${row.calibrationSlope.toFixed(3)}  ${row.examplesPerSecond} ex/s${row.isDefault ? '  (default)' : ''}`,
    );
  }
}
for (const set of sets) {
  const data = loadDataset(set.file, set.target);
  const positive = data.labels.indexOf(set.positive);
  if (positive < 0) {
    console.error(
      `--positive: '${set.positive}' is not a value of ${set.target} in ${set.file} (values: ${data.labels.join(', ')})`,
    );
    process.exit(1);
  }
  for (const learner of learners) run(data, positive, learner);
}
const path = writeResult(
  'propensity',
  rows,
  `npm run bench:propensity -- ${process.argv.slice(2).join(' ')}`.trim(),
);
if (opts.json) console.log(JSON.stringify(rows));
else console.log(`results: ${path}`);
