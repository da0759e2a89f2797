// `nextbest keys` and `nextbest --version` as an operator runs them: keys created, listed, rotated and revoked on a
// database, the key printed once, mistakes answered with one line and exit code 1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_CATALOG } from '../../src/cli/paths.ts';
import { openStore } from '../../src/store/open.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-keys-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/nextbest.mjs', ...args], { encoding: 'utf8' });

describe('nextbest keys', () => {
  it('creates, lists, rotates and revokes keys on a database, and refuses mistakes in one line', async () => {
    const db = join(dir, 'keys.db');
    await (await openStore(db)).close();
    const created = run('keys', 'create', '--db', db, '--label', 'web shop', '--scopes', 'decide,outcomes');
    expect(created.status).toBe(0);
    const key = /^\s+(nbk_\S+)$/m.exec(created.stdout)?.[1];
    const id = /^key ([0-9a-f]{16}) "web shop" \(decide, outcomes\):/m.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    expect(id).toBeDefined();

    const listed = run('keys', 'list', '--db', db, '--json');
    expect(listed.status).toBe(0);
    expect(listed.stdout).not.toContain(key);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id, label: 'web shop', active: true }]);

    const rotated = run('keys', 'rotate', id!, '--db', db, '--grace', '1h');
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(new RegExp(`key ${id} works until \\d{4}-`));
    const again = run('keys', 'rotate', id!, '--db', db);
    expect(again.status).toBe(1);
    expect(again.stderr.trim()).toBe(`key ${id} is revoked, expired or rotated already`);

    expect(run('keys', 'revoke', id!, '--db', db).stdout).toContain(`revoked key ${id} "web shop"`);
    const table = run('keys', 'list', '--db', db).stdout;
    expect(table).toMatch(new RegExp(`${id}\\s+revoked\\s+decide,outcomes\\s+web shop`));

    const scope = run('keys', 'create', '--db', db, '--label', 'x', '--scopes', 'decide,root');
    expect(scope.status).toBe(1);
    expect(scope.stderr).toContain('unknown scope root');
    const unknown = run('keys', 'revoke', '0123456789abcdef', '--db', db);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr.trim()).toBe('no key 0123456789abcdef');
    const missing = run('keys', 'list', '--db', join(dir, 'none.db'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('--db: no database at');
  });

  it('creates a publishable key for origins and inbound channels of the catalog', async () => {
    const db = join(dir, 'publishable.db');
    const store = await openStore(db);
    await store.addCatalog(readFileSync(BUNDLED_CATALOG, 'utf8'), 'h', Date.now());
    await store.close();
    const create = (...extra: string[]) =>
      run('keys', 'create', '--db', db, '--label', 'shop', '--scopes', 'publishable', ...extra);
    const created = create('--origins', 'https://shop.example.com', '--channels', 'web,app');
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/^\s+nbp_\S+$/m);
    expect(created.stdout).toContain('origins https://shop.example.com; channels web, app');
    const outbound = create('--origins', 'https://shop.example.com', '--channels', 'web,sms');
    expect([outbound.status, outbound.stderr.trim()]).toEqual([
      1,
      "--channels: 'sms' is an outbound channel",
    ]);
    const origin = create('--origins', 'shop.example.com', '--channels', 'web');
    expect(origin.status).toBe(1);
    expect(origin.stderr).toContain("'shop.example.com': an origin such as https://shop.example.com");
    expect(create('--channels', 'web').stderr.trim()).toBe('--origins: a publishable key needs at least one');
  });

  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const res = run('--version');
    expect(res.status).toBe(0);
    expect(res.stdout.trim()).toBe(version);
  });
});
