import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { openStore } from '../../src/store/open.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-evaluate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/nextbest.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NEXTBEST_PROGRESS: '1' },
  });

async function prepare(db: string) {
  const store = await openStore(db);
  const doc = smallCatalogDoc({
    actions: [action('A', 'Sales', 'A', { value: 1 }), action('B', 'Sales', 'B', { value: 1 })],
    measurement: { controlShare: 0.5 },
  });
  const engine = await Engine.open(store, JSON.stringify(doc), { checkpointMs: 0, seed: 2 });
  // Customers accept B, never A.
  for (let i = 0; i < 300; i++) {
    const d = await engine.decide({ channel: 'web', limit: 1 });
    const top = d.actions[0]!.actionId;
    await engine.recordOutcome({
      decisionId: d.decisionId,
      actionId: top,
      outcome: top === 'B' ? 'accept' : 'reject',
    });
  }
  await engine.close();
  await store.close();
  writeFileSync(
    join(dir, 'onlyA.yaml'),
    'name: only-A\nexplorer: epsilonGreedy\nexploration: 0\nlevers:\n  B: 0\n',
  );
  writeFileSync(join(dir, 'bad.yaml'), 'learner: magic\n');
}

describe.each(DIALECTS)('nextbest evaluate ($name)', (dialect) => {
  const db = dialect.freshUrl();
  beforeAll(() => prepare(db));

  it('estimates a candidate policy from the decision log, with a progress bar on stderr', () => {
    const res = run('evaluate', '--logs', db, '--policy', join(dir, 'onlyA.yaml'), '--json');
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.policy.name).toBe('only-A');
    expect(report.decisions).toBe(300);
    expect(report.rounds).toBe(300);
    // Always A, which nobody accepts: the importance-weighted estimators say 0, the model-based ones about 0
    // (a learner never predicts exactly 0); the logged policy did better.
    const est = Object.fromEntries(
      report.estimates.map((e: { estimator: string; estimate: number }) => [e.estimator, e.estimate]),
    );
    expect(est.IPS).toBe(0);
    expect(est.SNIPS).toBe(0);
    expect(est.DM).toBeLessThan(0.05);
    expect(Math.abs(est.DR)).toBeLessThan(0.05);
    expect(report.logged.estimate).toBeGreaterThan(0.3);
    expect(res.stderr).toMatch(/evaluate \[#+\] 100%/);
    const table = run('evaluate', '--logs', db, '--policy', join(dir, 'onlyA.yaml'));
    expect(table.stdout).toMatch(/candidate DR/);
  });

  it('names the bad field of a policy file and a missing database', () => {
    const bad = run('evaluate', '--logs', db, '--policy', join(dir, 'bad.yaml'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--policy: policy\.learner: /);
    const missing = run('evaluate', '--logs', join(dir, 'none.db'), '--policy', join(dir, 'onlyA.yaml'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/--logs: no database/);
  });
});
