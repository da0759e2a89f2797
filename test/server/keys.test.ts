// API keys generated at a first start: one pair per database, also when several processes start at once; pairs
// stored by earlier releases become managed keys; keys from the environment are added to the managed ones.
import { describe, expect, it } from 'vitest';
import { digest, keyIdOf } from '../../src/server/auth.ts';
import { resolveKeys } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import { DIALECTS } from '../store/dialects.ts';

const bearer = (key: string) => `Bearer ${key}`;

describe.each(DIALECTS)('generated API keys ($name)', (dialect) => {
  it('one process generates and prints the pair, the others starting at once use it, a restart keeps it', async () => {
    const url = dialect.freshUrl();
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    const resolved = await Promise.all(stores.map((s) => resolveKeys(s, {})));
    const generated = resolved.filter((r) => r.generated);
    expect(generated).toHaveLength(1);
    const { apiKey, adminKey } = generated[0]!.generated!;
    for (const r of resolved) {
      expect(r.keys.ring.identify(bearer(apiKey))?.scopes).toEqual(
        new Set(['decide', 'outcomes', 'events', 'outbound']),
      );
      expect(r.keys.ring.identify(bearer(adminKey))?.scopes).toEqual(new Set(['admin']));
    }
    // Two managed keys, each created once, with an audit entry each.
    expect(await stores[0]!.apiKeys()).toHaveLength(2);
    const audit = await stores[0]!.auditLog({ limit: 10, action: 'key.create' });
    expect(audit.map((a) => a.target).sort()).toEqual(
      [apiKey, adminKey].map((k) => `key ${keyIdOf(digest(k))}`).sort(),
    );
    const again = await resolveKeys(stores[0]!, {});
    expect(again.generated).toBeUndefined();
    expect(again.summary).toBe('2 managed keys in the database');
    expect(again.keys.ring.identify(bearer(adminKey))?.keyId).toBe(keyIdOf(digest(adminKey)));
    for (const s of stores) await s.close();
  });

  it('keys from the environment are added and generate nothing; a pair stored before managed keys is adopted once', async () => {
    const store = await openStore(dialect.freshUrl());
    const env = { NEXTBEST_ADMIN_KEY: 'env-admin-key-0123456789' };
    const withEnv = await resolveKeys(store, env);
    expect(withEnv.generated).toBeUndefined();
    expect(withEnv.keys.ring.identify(bearer(env.NEXTBEST_ADMIN_KEY))?.scopes.has('admin')).toBe(true);
    expect(await store.apiKeys()).toHaveLength(0);
    await expect(resolveKeys(store, { NEXTBEST_API_KEY: 'short' })).rejects.toThrow(
      /NEXTBEST_API_KEY: at least 16 characters/,
    );

    const oldApi = 'nbk_from-an-earlier-release-1';
    const oldAdmin = 'nba_from-an-earlier-release-2';
    await store.setSetting(
      'keys.sha256',
      JSON.stringify({ api: digest(oldApi).toString('hex'), admin: digest(oldAdmin).toString('hex') }),
    );
    const adopted = await resolveKeys(store, {});
    expect(adopted.keys.ring.identify(bearer(oldAdmin))?.scopes.has('admin')).toBe(true);
    // Revoked once, it stays revoked: a later start does not adopt it again.
    await adopted.keys.revoke(keyIdOf(digest(oldApi)), { keyId: null, requestId: 'test' });
    const later = await resolveKeys(store, {});
    expect(later.keys.ring.identify(bearer(oldApi))).toBeUndefined();
    expect(later.keys.ring.identify(bearer(oldAdmin))).toBeDefined();
    await store.close();
  });
});
