// `nextbest keys`: managed API keys on a database, for operators (running servers pick changes up within a second).
import { type Command, InvalidArgumentError } from 'commander';
import { compileCatalog } from '../core/catalog.ts';
import { parseCatalogSource } from '../core/catalogSource.ts';
import { EngineError } from '../engine/errors.ts';
import { SCOPE_DESCRIPTIONS, SCOPES, type Scope } from '../server/auth.ts';
import { originString } from '../server/config.ts';
import {
  ApiKeys,
  CLI_ACTOR,
  type KeyInfo,
  MAX_GRACE_SECONDS,
  publishableChannelProblem,
} from '../server/keys.ts';
import { databaseUrl } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import { fail } from './args.ts';
import { openExisting } from './db.ts';

function scopeList(value: string): Scope[] {
  const scopes = value.split(',').map((s) => s.trim());
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`unknown scope ${unknown.join(', ') || "''"}: use ${SCOPES.join(', ')}`);
  return scopes as Scope[];
}

function originList(value: string): string[] {
  const origins = value.split(',').map((o) => o.trim());
  for (const o of origins) {
    const checked = originString.safeParse(o);
    if (!checked.success) throw new InvalidArgumentError(`'${o}': ${checked.error.issues[0]?.message}`);
  }
  return origins;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90d`, `12h`, `30m`, `45s` or plain seconds. */
export function duration(value: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('a duration such as 90d, 12h, 30m or 45s');
  return Number(m[1]) * UNITS[m[2] || 's']!;
}

function grace(value: string): number {
  const seconds = duration(value);
  if (seconds > MAX_GRACE_SECONDS) throw new InvalidArgumentError('at most 30d');
  return seconds;
}

const dbOption = '--db <url>';
const dbHelp = 'database: a SQLite file or postgres://… (default: NEXTBEST_DB, else nextbest.db)';

async function withKeys<T>(
  db: string | undefined,
  run: (keys: ApiKeys, store: Store) => Promise<T>,
): Promise<T> {
  const store = await openExisting(databaseUrl(db, process.env, 'nextbest.db'));
  try {
    return await run(new ApiKeys(store), store);
  } catch (error) {
    if (error instanceof EngineError)
      fail(
        error.message
          .replace(/^params\.id: /, '')
          .replace(/^body\.(origins|channels)(\[\d+\])?: /, '--$1: ')
          .replace(/^body\.scopes: /, '--scopes: '),
      );
    throw error;
  } finally {
    await store.close();
  }
}

const when = (ms: number | null) => (ms === null ? '–' : `${new Date(ms).toISOString().slice(0, 19)}Z`);

function row(k: KeyInfo): string {
  const ends = [k.revokedAt, k.expiresAt].filter((t) => t !== null);
  const end = ends.length > 0 ? Math.min(...ends) : null;
  const state = k.active
    ? end === null
      ? 'active'
      : `active until ${when(end)}`
    : end === k.revokedAt
      ? 'revoked'
      : 'expired';
  return [k.id, state.padEnd(33), k.scopes.join(',').padEnd(32), k.label].join('  ');
}

function printNew(key: string, info: KeyInfo): void {
  console.log(`key ${info.id} "${info.label}" (${info.scopes.join(', ')}):`);
  console.log(`  ${key}`);
  if (info.origins)
    console.log(`  origins ${info.origins.join(', ')}; channels ${info.channels?.join(', ')}`);
  console.log('Shown this once; the database keeps only its digest.');
}

export function keysCommand(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      `Manage API keys with scopes (${SCOPES.join(', ')}); running servers pick changes up within a second`,
    );
  keys
    .command('list')
    .description('Every managed key: id, state, scopes, label (never the keys)')
    .option(dbOption, dbHelp)
    .option('--json', 'print JSON')
    .action(async (opts: { db?: string; json?: boolean }) => {
      const list = await withKeys(opts.db, (k) => k.list());
      if (opts.json) return console.log(JSON.stringify(list, null, 2));
      if (list.length === 0) return console.log('no managed keys');
      console.log(['id'.padEnd(16), 'state'.padEnd(33), 'scopes'.padEnd(32), 'label'].join('  '));
      for (const k of list) console.log(row(k));
    });
  keys
    .command('create')
    .description('Create a key and print it once')
    .requiredOption('--label <text>', 'what the key is for, e.g. "web shop"')
    .requiredOption(
      '--scopes <list>',
      `comma-separated: ${SCOPES.map((s) => `${s} (${SCOPE_DESCRIPTIONS[s]})`).join('; ')}`,
      scopeList,
    )
    .option('--expires-in <duration>', 'the key stops working after this, e.g. 90d', duration)
    .option(
      '--origins <list>',
      'publishable keys: comma-separated web origins that may use the key, e.g. https://shop.example.com',
      originList,
    )
    .option(
      '--channels <list>',
      'publishable keys: comma-separated inbound channels of the catalog, e.g. web,app',
      (v) => v.split(',').map((c) => c.trim()),
    )
    .option(dbOption, dbHelp)
    .action(
      async (opts: {
        label: string;
        scopes: Scope[];
        expiresIn?: number;
        origins?: string[];
        channels?: string[];
        db?: string;
      }) => {
        const label = opts.label.trim();
        if (label.length === 0 || label.length > 100) fail('--label: 1 to 100 characters');
        const { key, info } = await withKeys(opts.db, async (k, store) => {
          const active = await store.activeCatalog();
          const catalog = active
            ? compileCatalog(parseCatalogSource(active.source), { stored: true })
            : undefined;
          return k.create(
            {
              label,
              scopes: opts.scopes,
              expiresAt: opts.expiresIn === undefined ? undefined : Date.now() + opts.expiresIn * 1000,
              origins: opts.origins,
              channels: opts.channels,
            },
            CLI_ACTOR(),
            publishableChannelProblem(catalog),
          );
        });
        printNew(key, info);
      },
    );
  keys
    .command('revoke <id>')
    .description('Revoke a key now')
    .option('--force', 'also the last working admin key (the API then has no admin until you create one)')
    .option(dbOption, dbHelp)
    .action(async (id: string, opts: { force?: boolean; db?: string }) => {
      const info = await withKeys(opts.db, (k) =>
        k.revoke(id, CLI_ACTOR(), { allowLastAdmin: opts.force ?? false }),
      );
      console.log(`revoked key ${info.id} "${info.label}"`);
    });
  keys
    .command('rotate <id>')
    .description('Replace a key by a new one with the same label and scopes')
    .option(
      '--grace <duration>',
      'how long the old key keeps working, e.g. 1h (default: it stops now)',
      grace,
      0,
    )
    .option(dbOption, dbHelp)
    .action(async (id: string, opts: { grace: number; db?: string }) => {
      const { key, info, replaced } = await withKeys(opts.db, (k) => k.rotate(id, opts.grace, CLI_ACTOR()));
      printNew(key, info);
      console.log(
        `key ${replaced.id} ${opts.grace > 0 ? `works until ${when(replaced.revokedAt)}` : 'stopped working'}`,
      );
    });
}
