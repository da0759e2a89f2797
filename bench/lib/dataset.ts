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
