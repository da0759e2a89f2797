// Reads a benchmark CSV as PROTOCOL.md says: RFC 4180 via csv-parse, numeric columns are those whose every
// non-empty value parses as a finite number, empty and NA cells are missing, actions are the sorted labels.
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Features, FeatureValue } from '../../src/learn/learner.ts';

export interface Dataset {
  name: string;
  labels: string[];
  rows: Array<{ x: Features; label: number }>;
  numeric: string[];
  categorical: string[];
}

/** Where the shared benchmark data lives: ../shared/bench/data beside the repository. */
export const SHARED_DATA = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'bench', 'data');

const isMissing = (v: string) => v === '' || v === 'NA';

export function loadDataset(path: string, target: string): Dataset {
  if (!existsSync(path)) throw new Error(`${path}: no such file`);
  const records = parse(readFileSync(path), { columns: true, skip_empty_lines: true }) as Array<
    Record<string, string>
  >;
  if (records.length === 0) throw new Error(`${path}: no rows`);
  const columns = Object.keys(records[0]!);
  if (!columns.includes(target))
    throw new Error(`${path}: no column '${target}' (columns: ${columns.join(', ')})`);
  const features = columns.filter((c) => c !== target);
  const numeric = features.filter((c) =>
    records.every((r) => {
      const v = r[c]!;
      return isMissing(v) || Number.isFinite(Number(v));
    }),
  );
  const numericSet = new Set(numeric);
  const labels = [...new Set(records.map((r) => r[target]!))].sort();
  const labelIndex = new Map(labels.map((l, i) => [l, i]));
  const rows = records.map((r) => {
    const x: Record<string, FeatureValue> = {};
    for (const c of features) {
      const v = r[c]!;
      if (isMissing(v)) continue;
      x[c] = numericSet.has(c) ? Number(v) : `${c}=${v}`;
    }
    return { x: Object.freeze(x), label: labelIndex.get(r[target]!)! };
  });
  return {
    name: basename(path).replace(/\.csv$/, ''),
    labels,
    rows,
    numeric,
    categorical: features.filter((c) => !numericSet.has(c)),
  };
}

/** PROTOCOL.md's seeded shuffle. */
export function shuffledOrder(n: number, seed: number, rng: (seed: number) => () => number): number[] {
  const rnd = rng(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx;
}

/**
 * A harder copy of a data set, for robustness checks (bench:cbify --skew/--outliers): `skew` keeps every row of
 * the most frequent class and a seeded sample of the others so that this class makes up that share of the rows;
 * `outliers` multiplies that fraction of the numeric cells by ±10⁹…10¹² (a sensor glitch, a unit mix-up).
 */
export function stressed(
  data: Dataset,
  stress: { skew?: number; outliers?: number },
  rng: (seed: number) => () => number,
): Dataset {
  const rnd = rng(0x5eed);
  let rows = data.rows;
  const tags: string[] = [];
  if (stress.skew !== undefined) {
    if (!(stress.skew > 0 && stress.skew < 1))
      throw new Error(`--skew: a share between 0 and 1, not ${stress.skew}`);
    const counts = new Array<number>(data.labels.length).fill(0);
    for (const r of rows) counts[r.label]!++;
    const top = counts.indexOf(Math.max(...counts));
    const others = rows.length - counts[top]!;
    // Keep each other row with the probability that makes the top class `skew` of what remains.
    const keep = Math.min(1, (counts[top]! * (1 - stress.skew)) / stress.skew / Math.max(1, others));
    rows = rows.filter((r) => r.label === top || rnd() < keep);
    tags.push(`skew${stress.skew}`);
  }
  if (stress.outliers !== undefined) {
    if (!(stress.outliers >= 0 && stress.outliers <= 1))
      throw new Error(`--outliers: a fraction between 0 and 1, not ${stress.outliers}`);
    const numeric = new Set(data.numeric);
    const share = stress.outliers;
    rows = rows.map((r) => {
      const x: Record<string, FeatureValue> = { ...r.x };
      for (const [name, v] of Object.entries(x)) {
        if (!numeric.has(name) || typeof v !== 'number' || rnd() >= share) continue;
        x[name] = v * (rnd() < 0.5 ? -1 : 1) * 10 ** (9 + Math.floor(rnd() * 4)) + (v === 0 ? 1e9 : 0);
      }
      return { x: Object.freeze(x), label: r.label };
    });
    tags.push(`outliers${stress.outliers}`);
  }
  return tags.length === 0 ? data : { ...data, name: `${data.name}+${tags.join('+')}`, rows };
}
