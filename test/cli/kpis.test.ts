import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { openStore } from '../../src/store/open.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-kpis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/nextbest.mjs', ...args], { encoding: 'utf8', env: { ...process.env } });

async function prepare(db: string) {
  const store = await openStore(db);
  const doc = smallCatalogDoc({
    actions: [action('A', 'Sales', 'A', { value: 1 })],
    events: {
      types: { survey: { payload: { score: 'number' }, required: ['score'] } },
      surveys: { nps: { event: 'survey', field: 'score' } },
    },
  });
  const engine = await Engine.open(store, JSON.stringify(doc), { checkpointMs: 0 });
  await engine.putCustomer('c1', { age: 30 });
  await engine.decide({ customerId: 'c1', channel: 'web', limit: 1 });
  await engine.decide({ customerId: 'c1', channel: 'web', limit: 1 });
  const at = Date.now();
  await engine.ingestEvents(
    [10, 9, 3].map((score) => ({ customerId: 'c1', type: 'survey', at, channel: 'web', payload: { score } })),
    (i) => `event ${i}`,
  );
  await engine.close();
  await store.close();
}

describe.each(DIALECTS)('nextbest kpis --journey --feedback ($name)', (dialect) => {
  const db = dialect.freshUrl();
  beforeAll(() => prepare(db));

  it('adds contacts per customer and NPS to the KPI report', () => {
    const res = run('kpis', '--db', db, '--journey', '--feedback', '--json');
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout);
    expect(report.journey.contacts).toEqual([
      expect.objectContaining({ channel: 'web', contacts: 2, customers: 1 }),
    ]);
    expect(report.feedback.nps.overall).toMatchObject({ responses: 3, promoters: 2, detractors: 1 });
    expect(report.feedback.nps.byAction).toEqual([expect.objectContaining({ actionId: 'A', responses: 3 })]);
    const text = run('kpis', '--db', db, '--journey', '--feedback');
    expect(text.stdout).toContain('NPS 33');
    expect(text.stdout).toMatch(/web\s+2\s+1/);
  });
});
