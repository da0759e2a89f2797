// The audit trail: catalog changes (with a diff summary), erasures and exports, with the key id and the
// request id; GET /v1/audit pages and filters it; the database refuses to change it. On both stores.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digest } from '../../src/server/auth.ts';
import type { PostgresStore } from '../../src/store/postgres/store.ts';
import type { SqliteStore } from '../../src/store/sqlite/store.ts';
import { DIALECTS } from '../store/dialects.ts';
import { ADMIN_KEY, startServer } from './harness.ts';

const catalogSource = readFileSync(join(import.meta.dirname, '../../examples/telco/catalog.yaml'), 'utf8');

describe.each(DIALECTS)('audit trail ($name)', (dialect) => {
  it('records who changed the catalog and customer data, pages and filters, and cannot be changed', async () => {
    const s = await startServer(catalogSource, {}, dialect.freshUrl());
    try {
      const adminKeyId = digest(ADMIN_KEY).subarray(0, 8).toString('hex');
      const patch = await s.call('PATCH', '/v1/catalog/actions/LoyaltyDiscount', {
        key: ADMIN_KEY,
        body: { lever: 2 },
        headers: { 'x-request-id': 'change-4711' },
      });
      expect(patch.status).toBe(201);
      await s.call('PUT', '/v1/customers/a1', { key: ADMIN_KEY, body: { attributes: { age: 50 } } });
      expect((await s.call('GET', '/v1/customers/a1/export', { key: ADMIN_KEY })).status).toBe(200);
      expect((await s.call('DELETE', '/v1/customers/a1', { key: ADMIN_KEY })).status).toBe(200);
      // A profile update is not an audited change; an API-key decision neither.
      await s.call('POST', '/v1/decide', { body: { channel: 'web' } });

      const all = await s.call('GET', '/v1/audit', { key: ADMIN_KEY });
      expect(all.status).toBe(200);
      expect(all.body.entries.map((e: { action: string }) => e.action)).toEqual([
        'customer.erase',
        'customer.export',
        'catalog.patch',
      ]);
      const [erase, , change] = all.body.entries;
      expect(change).toMatchObject({
        keyId: adminKeyId,
        requestId: 'change-4711',
        target: 'catalog v2',
        summary: 'actions: changed LoyaltyDiscount (lever)',
      });
      expect(erase.target).toBe('customer a1');
      expect(erase.summary).toMatch(/removed profile yes/);
      expect(all.body.next).toBeNull();

      const page = await s.call('GET', '/v1/audit?limit=2', { key: ADMIN_KEY });
      expect(page.body.entries).toHaveLength(2);
      const rest = await s.call('GET', `/v1/audit?limit=2&before=${page.body.next}`, { key: ADMIN_KEY });
      expect(rest.body.entries.map((e: { action: string }) => e.action)).toEqual(['catalog.patch']);
      const filtered = await s.call('GET', '/v1/audit?action=customer.export', { key: ADMIN_KEY });
      expect(filtered.body.entries).toHaveLength(1);
      expect((await s.call('GET', '/v1/audit')).status).toBe(403);

      // Append-only in the database itself.
      const tamper =
        dialect.name === 'sqlite'
          ? async () => (s.store as SqliteStore).db.prepare("UPDATE audit_log SET summary = 'nothing'").run()
          : async () =>
              (s.store as PostgresStore).query("DELETE FROM audit_log WHERE action = 'customer.erase'");
      await expect(tamper()).rejects.toThrow(/append-only/);
      expect((await s.call('GET', '/v1/audit', { key: ADMIN_KEY })).body.entries).toHaveLength(3);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
