import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importEvents } from '../../src/cli/importEvents.ts';
import { openStore } from '../../src/store/open.ts';
import { openEngine, smallCatalogDoc } from '../helpers.ts';
import { DIALECTS } from '../store/dialects.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const catalogDoc = smallCatalogDoc({
  events: {
    types: {
      invoice: { payload: { amount: 'number', overdue: 'boolean' }, required: ['amount'] },
      call: { payload: { reason: 'string' } },
    },
    features: {
      invoices: { event: 'invoice', aggregate: 'sum', field: 'amount' },
      calls: { event: 'call', aggregate: 'count' },
    },
  },
});
const catalogFile = join(dir, 'catalog.json');
writeFileSync(catalogFile, JSON.stringify(catalogDoc));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/nextbest.mjs', ...args], { encoding: 'utf8', env: { ...process.env } });

const ev = (customerId: string, type: string, payload: Record<string, unknown>, day = 20) =>
  JSON.stringify({ customerId, type, timestamp: `2026-11-${day}T10:00:00Z`, payload });

async function featuresIn(db: string, customerId: string) {
  const store = await openStore(db);
  const state = await store.featureState(customerId);
  await store.close();
  return state;
}

describe.each(DIALECTS)('nextbest import events ($name)', (dialect) => {
  it('imports NDJSON, reports bad lines with their numbers and skips them', async () => {
    const file = join(dir, 'events.ndjson');
    writeFileSync(
      file,
      [
        ev('a', 'invoice', { amount: 10 }),
        '{"customerId": "a", "type": "invoice"', // line 2: broken JSON
        ev('a', 'invoice', { amount: 'ten' }), // line 3: wrong type
        '',
        ev('b', 'fax', {}), // line 5: unknown type
        JSON.stringify({ customerId: 'b', type: 'call', timestamp: 'yesterday' }), // line 6: bad timestamp
        ev('a', 'invoice', { amount: 5, overdue: true }),
        ev('b', 'call', { reason: 'billing' }),
      ].join('\n'),
    );
    const db = dialect.freshUrl();
    const rejects = join(dir, `rejects-${dialect.name}.ndjson`);
    const res = run(
      'import',
      'events',
      file,
      '--db',
      db,
      '--catalog',
      catalogFile,
      '--rejects',
      rejects,
      '--json',
    );
    expect(res.status).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary).toMatchObject({ format: 'ndjson', imported: 3, rejected: 4 });
    expect(res.stderr).toContain('line 3: payload.amount: expected number');
    const rejected = readFileSync(rejects, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rejected.map((r) => [r.line, r.field])).toEqual([
      [2, 'line'],
      [3, 'payload.amount'],
      [5, 'type'],
      [6, 'timestamp'],
    ]);
    expect(rejected[1].text).toBe(ev('a', 'invoice', { amount: 'ten' }));
    expect(await featuresIn(db, 'a')).toEqual({ invoices: { kind: 'total', total: 15 } });

    // A second run knows the file is done.
    const again = run('import', 'events', file, '--db', db, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyImported: true, imported: 0 });
  });

  it('imports CSV with typed payload columns and reports malformed rows', async () => {
    const file = join(dir, 'events.csv');
    writeFileSync(
      file,
      [
        'customerId,type,timestamp,channel,amount,overdue,reason',
        'a,invoice,2026-11-20T10:00:00Z,,12.5,true,',
        'a,invoice,2026-11-20T10:00:00Z,,lots,,', // line 3: not a number
        'b,call,2026-11-21T09:00:00Z,phone,,,"moving, new address"',
        'b,call,2026-11-21T09:00:00Z', // line 5: too few columns
        'c,invoice,2026-11-22T09:00:00Z,,3,false,',
      ].join('\n'),
    );
    const db = dialect.freshUrl();
    const res = run('import', 'events', file, '--db', db, '--catalog', catalogFile, '--json');
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ format: 'csv', imported: 3, rejected: 2 });
    expect(res.stderr).toContain('line 3: payload.amount: expected number');
    expect(res.stderr).toMatch(/line 5: line: .*column/i);
    expect(await featuresIn(db, 'a')).toEqual({ invoices: { kind: 'total', total: 12.5 } });
    expect(await featuresIn(db, 'b')).toEqual({ calls: { kind: 'total', total: 1 } });
  });

  it('resumes an interrupted import after the last committed batch, importing each line once', async () => {
    const file = join(dir, 'resume.ndjson');
    const lines = Array.from({ length: 10 }, (_, i) => ev('r', 'invoice', { amount: i + 1 }));
    lines[4] = 'not json';
    writeFileSync(file, lines.join('\n'));
    const { engine, store } = await openEngine(catalogDoc);
    let batches = 0;
    await expect(
      importEvents(engine, file, {
        batch: 3,
        onProgress: () => {
          // The process dies right after the second batch committed.
          if (++batches === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await store.featureState('r')).toEqual({
      invoices: { kind: 'total', total: 1 + 2 + 3 + 4 + 6 + 7 },
    });
    const rejects: number[] = [];
    const summary = await importEvents(engine, file, { batch: 3, onReject: (r) => rejects.push(r.line) });
    expect(summary).toMatchObject({ resumedAfterLine: 7, imported: 3, rejected: 0 });
    expect(rejects).toEqual([]);
    expect(await store.featureState('r')).toEqual({ invoices: { kind: 'total', total: 55 - 5 } });
    // --restart imports everything again.
    const restarted = await importEvents(engine, file, { restart: true });
    expect(restarted).toMatchObject({ imported: 9, rejected: 1 });
    await engine.close();
    await store.close();
  });

  it('names a missing file and an unknown format', () => {
    expect(run('import', 'events', join(dir, 'nope.ndjson'), '--db', join(dir, 'x.db')).stderr).toContain(
      '<file>: no file',
    );
    const txt = join(dir, 'events.txt');
    writeFileSync(txt, '');
    expect(run('import', 'events', txt, '--db', join(dir, 'x.db')).stderr).toContain('--format');
  });
});
