import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { POSTGRES_AVAILABLE, postgres } from './dialects.ts';
import { storeSuite } from './storeSuite.ts';

describe.skipIf(!POSTGRES_AVAILABLE)('PostgresStore', () => {
  storeSuite(async () => new PostgresStore(postgres.freshUrl()));

  it('migrates once, also when several processes start at the same time', async () => {
    const url = postgres.freshUrl();
    const stores = [new PostgresStore(url), new PostgresStore(url), new PostgresStore(url)];
    await Promise.all(stores.map((s) => s.init()));
    await stores[0]!.putCustomer('c', { x: 1 }, 1);
    const again = new PostgresStore(url);
    await again.init();
    expect(await again.getCustomer('c')).toBeDefined();
    for (const s of [...stores, again]) await s.close();
  });
});
