// `nextbest serve` on a port that is taken ends with the option at fault, alone and with workers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, callUrl, spawnServer } from '../server/harness.ts';

describe('nextbest serve', () => {
  it.each(['1', '2'])('names a port in use and exits (%s worker(s))', async (workers) => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const { port } = taken.address() as { port: number };
    try {
      await expect(
        spawnServer(['--db', ':memory:', '--no-demo-data', '--port', String(port), '--workers', workers]),
      ).rejects.toThrow(
        new RegExp(`server exited with 1:[\\s\\S]*--port: 127\\.0\\.0\\.1:${port} is in use`),
      );
    } finally {
      taken.close();
    }
  });

  it('runs its clock shifted by NEXTBEST_CLOCK_OFFSET_MS, and names a bad value', async () => {
    const offset = -3 * 86_400_000;
    const p = await spawnServer(['--db', ':memory:'], { NEXTBEST_CLOCK_OFFSET_MS: String(offset) });
    try {
      const before = Date.now();
      const d = await callUrl(p.url, 'POST', '/v1/decide', { customerId: 'C00001', channel: 'web' });
      const logged = await callUrl(p.url, 'GET', `/v1/decisions/${d.body.decisionId}`);
      const at = Date.parse(logged.body.at);
      expect(at).toBeGreaterThanOrEqual(before + offset);
      expect(at).toBeLessThanOrEqual(Date.now() + offset);
    } finally {
      await p.stop();
    }
    await expect(
      spawnServer(['--db', ':memory:', '--no-demo-data'], { NEXTBEST_CLOCK_OFFSET_MS: 'noon' }),
    ).rejects.toThrow(/NEXTBEST_CLOCK_OFFSET_MS: must be a whole number of milliseconds \(got 'noon'\)/);
  });

  it('loads the example customers into an empty database whichever catalog, when their profiles fit it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-serve-'));
    const fits = join(dir, 'fits.json');
    writeFileSync(
      fits,
      JSON.stringify(smallCatalogDoc({ schema: { customer: { age: 'number' }, context: {} } })),
    );
    const clashes = join(dir, 'clashes.json');
    writeFileSync(
      clashes,
      JSON.stringify(smallCatalogDoc({ schema: { customer: { age: 'string' }, context: {} } })),
    );
    for (const [catalog, status] of [
      [fits, 200],
      [clashes, 404],
    ] as const) {
      const p = await spawnServer(['--db', ':memory:', '--catalog', catalog]);
      try {
        const found = await callUrl(p.url, 'GET', '/v1/customers/C00001', undefined, ADMIN_KEY);
        expect(found.status, catalog).toBe(status);
      } finally {
        await p.stop();
      }
    }
  });
});
