// API keys generated at a first start: one pair per database, also when several processes start at once.
import { describe, expect, it } from 'vitest';
import { digest } from '../../src/server/auth.ts';
import { resolveKeys } from '../../src/server/keys.ts';
import { openStore } from '../../src/store/open.ts';
import { DIALECTS } from '../store/dialects.ts';

describe.each(DIALECTS)('generated API keys ($name)', (dialect) => {
  it('one process generates and prints the pair, the others starting at once use it, a restart keeps it', async () => {
    const url = dialect.freshUrl();
    const stores = await Promise.all([openStore(url), openStore(url), openStore(url)]);
    const resolved = await Promise.all(stores.map((s) => resolveKeys(s, {})));
    const generated = resolved.filter((r) => r.generated);
    expect(generated).toHaveLength(1);
    const { apiKey, adminKey } = generated[0]!.generated!;
    for (const r of resolved) {
      expect(r.ring.api).toEqual([digest(apiKey)]);
      expect(r.ring.admin).toEqual([digest(adminKey)]);
    }
    const again = await resolveKeys(stores[0]!, {});
    expect(again).toMatchObject({ source: 'store' });
    expect(again.ring.admin).toEqual([digest(adminKey)]);
    for (const s of stores) await s.close();
  });
});
