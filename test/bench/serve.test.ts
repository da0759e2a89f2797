// bench:serve as a smoke check (never a timed test): a tiny run on each store prints a row per scenario with
// every figure, and its decisions return actions. The figures themselves are not judged here.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PG_URL, POSTGRES_AVAILABLE } from '../store/dialects.ts';

const run = promisify(execFile);

describe('bench:serve', () => {
  it('prints the JSON rows of every scenario on each store', async () => {
    const stores = POSTGRES_AVAILABLE ? 'sqlite,postgres' : 'sqlite';
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/serve.ts',
        '--quick',
        '--duration',
        '1',
        '--customers',
        '300',
        '--actions',
        '10',
        '--workers',
        '1',
        '--stores',
        stores,
        '--pg',
        PG_URL,
        '--json',
      ],
      { timeout: 120_000 },
    );
    const rows = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows.map((r) => `${r.store}/${r.scenario}`)).toEqual(
      stores.split(',').flatMap((s) => [`${s}/decide`, `${s}/mixed`]),
    );
    for (const r of rows) {
      for (const k of ['requestsPerSecond', 'p50Ms', 'p95Ms', 'p99Ms', 'peakRssMb', 'ratioToBare'])
        expect(r[k]).toBeGreaterThan(0);
      expect(r).toMatchObject({ actions: 10, workers: 1 });
      expect(r.decisionsWithActions).toBeGreaterThan(0.9);
    }
  }, 150_000);
});
