// API keys: where they come from (environment, config file, the database) and how managed keys are created,
// listed, revoked and rotated without a restart, by the CLI and the admin routes alike. Every change is one
// transaction with its audit entry; every process reads the managed keys again every second or so.
import { randomUUID } from 'node:crypto';
import type { Catalog } from '../core/catalog.ts';
import { EngineError } from '../engine/errors.ts';
import type { ApiKeyRecord, KeyRepository, SettingsRepository } from '../store/store.ts';
import { API_KEY_SCOPES, digest, generateKey, type KeyEntry, KeyRing, keyIdOf, type Scope } from './auth.ts';
import { keyString } from './config.ts';

/** How often a process reads the managed keys: a key revoked elsewhere stops working here within this. */
export const KEY_REFRESH_MS = 1000;

/** Longest grace period of a rotation: the old key keeps working this long at most. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

export interface KeyInfo extends KeyEntry {
  /** Whether the key works now. */
  active: boolean;
}

/** Who changes keys: a request's key and id, or the CLI (no key). */
export interface KeyActor {
  keyId: string | null;
  requestId: string;
}

export const CLI_ACTOR = (): KeyActor => ({ keyId: null, requestId: `cli:${randomUUID()}` });

const iso = (ms: number) => new Date(ms).toISOString();

export class ApiKeys {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: KeyRepository,
    readonly ring: KeyRing = new KeyRing(),
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the managed keys again (a failing store keeps the keys last read: degraded mode still serves). */
  async refresh(): Promise<void> {
    this.ring.setStored(await this.store.apiKeys());
  }

  /** Refreshes every `ms` until close(). */
  follow(ms = KEY_REFRESH_MS): this {
    this.timer ??= setInterval(() => this.refresh().catch(() => undefined), ms);
    this.timer.unref();
    return this;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async list(): Promise<KeyInfo[]> {
    await this.refresh();
    return this.ring.entries().map((e) => this.state(e));
  }

  /**
   * Creates a key. A publishable key (scope `publishable`, alone) needs its origins and channels;
   * `channelProblem` says what is wrong with a channel for it (unknown, outbound), if anything.
   */
  async create(
    input: {
      label: string;
      scopes: readonly Scope[];
      expiresAt?: number | undefined;
      origins?: readonly string[] | undefined;
      channels?: readonly string[] | undefined;
    },
    actor: KeyActor,
    channelProblem: (channel: string) => string | undefined = () => undefined,
  ): Promise<{ key: string; info: KeyInfo }> {
    const now = this.now();
    if (input.expiresAt !== undefined && input.expiresAt <= now)
      throw new EngineError('invalid', 'body.expiresAt', 'must be in the future');
    const limits = publishableLimits(input, channelProblem);
    const key = generateKey(limits ? 'nbp' : 'nbk');
    const record = newRecord(key, input.label, input.scopes, now, input.expiresAt ?? null, limits);
    const expiry = record.expiresAt === null ? '' : `; expires ${iso(record.expiresAt)}`;
    const where = limits
      ? `; origins ${limits.origins.join(', ')}; channels ${limits.channels.join(', ')}`
      : '';
    await this.change({
      insert: record,
      audit: {
        ...actor,
        at: now,
        action: 'key.create',
        target: `key ${record.id}`,
        summary: `created "${record.label}" with scopes ${record.scopes.join(', ')}${where}${expiry}`,
      },
    });
    return { key, info: this.info(record.id) };
  }

  async revoke(id: string, actor: KeyActor, options: { allowLastAdmin?: boolean } = {}): Promise<KeyInfo> {
    const now = this.now();
    const entry = await this.entry(id);
    await this.change({
      revoke: { id, at: now, keepAnAdmin: !options.allowLastAdmin && !this.hasFixedAdmin() },
      audit: {
        ...actor,
        at: now,
        action: 'key.revoke',
        target: `key ${id}`,
        summary: `revoked "${entry.label}" (scopes ${entry.scopes.join(', ')})`,
      },
    });
    return this.info(id);
  }

  /** A new key with the old one's label and scopes; the old one keeps working for `graceSeconds`. */
  async rotate(
    id: string,
    graceSeconds: number,
    actor: KeyActor,
  ): Promise<{ key: string; info: KeyInfo; replaced: KeyInfo }> {
    const now = this.now();
    const old = await this.entry(id);
    const limits = old.origins && old.channels ? { origins: old.origins, channels: old.channels } : undefined;
    const key = generateKey(limits ? 'nbp' : 'nbk');
    const record = newRecord(key, old.label, old.scopes, now, old.expiresAt, limits);
    const until = now + graceSeconds * 1000;
    await this.change({
      insert: record,
      revoke: { id, at: until, replacedBy: record.id },
      audit: {
        ...actor,
        at: now,
        action: 'key.rotate',
        target: `key ${id}`,
        summary: `replaced by ${record.id}; the old key ${graceSeconds > 0 ? `works until ${iso(until)}` : 'stopped working'}`,
      },
    });
    return { key, info: this.info(record.id), replaced: this.info(id) };
  }

  private hasFixedAdmin(): boolean {
    return this.ring.entries().some((e) => e.source !== 'database' && e.scopes.includes('admin'));
  }

  /** A managed key by id (404 for an unknown one, 409 for one from the environment or config file). */
  private async entry(id: string): Promise<KeyEntry> {
    await this.refresh();
    const entry = this.ring.entries().find((e) => e.id === id);
    if (!entry) throw new EngineError('not_found', 'params.id', `no key ${id}`);
    if (entry.source !== 'database')
      throw new EngineError(
        'conflict',
        'params.id',
        `key ${id} comes from the ${entry.source}: change it there and restart`,
      );
    return entry;
  }

  /** A key as the ring holds it (change() has just reread the keys). */
  private info(id: string): KeyInfo {
    const found = this.ring.entries().find((e) => e.id === id);
    if (!found) throw new EngineError('not_found', 'params.id', `no key ${id}`);
    return this.state(found);
  }

  private state(entry: KeyEntry): KeyInfo {
    return { ...entry, active: this.ring.works(entry) };
  }

  private async change(change: Parameters<KeyRepository['changeApiKeys']>[0]): Promise<void> {
    const verdict = await this.store.changeApiKeys(change, this.now());
    if (verdict === 'not found')
      throw new EngineError(
        'conflict',
        'params.id',
        `key ${change.revoke?.id} is revoked, expired or rotated already`,
      );
    if (verdict === 'last admin')
      throw new EngineError(
        'conflict',
        'params.id',
        `key ${change.revoke?.id} is the last working admin key: create another admin key first`,
      );
    if (verdict === 'exists') throw new EngineError('conflict', 'body', 'that key exists already');
    await this.refresh();
  }
}

type PublishableLimits = { origins: readonly string[]; channels: readonly string[] };

/**
 * What is wrong with a channel for a publishable key: it must be one of the active catalog's, and inbound (the
 * API and the CLI both ask this of the catalog they have; none yet: no channel will do).
 */
export function publishableChannelProblem(
  catalog: Catalog | undefined,
): (channel: string) => string | undefined {
  return (channel) => {
    if (!catalog) return 'the database has no catalog yet: start the server once first';
    const found = catalog.channels.get(channel);
    if (!found) return `'${channel}' is not a channel of the active catalog`;
    return found.direction === 'outbound' ? `'${channel}' is an outbound channel` : undefined;
  };
}

/** A publishable key's origins and channels, checked; undefined for other keys (which may have neither). */
function publishableLimits(
  input: {
    scopes: readonly Scope[];
    origins?: readonly string[] | undefined;
    channels?: readonly string[] | undefined;
  },
  channelProblem: (channel: string) => string | undefined,
): PublishableLimits | undefined {
  if (!input.scopes.includes('publishable')) {
    for (const field of ['origins', 'channels'] as const)
      if (input[field] !== undefined)
        throw new EngineError('invalid', `body.${field}`, "only for a key with scope 'publishable'");
    return undefined;
  }
  if (input.scopes.some((s) => s !== 'publishable'))
    throw new EngineError(
      'invalid',
      'body.scopes',
      "a publishable key is public (it sits in web pages): scope 'publishable' goes alone",
    );
  for (const field of ['origins', 'channels'] as const)
    if (!input[field] || input[field].length === 0)
      throw new EngineError('invalid', `body.${field}`, 'a publishable key needs at least one');
  const channels = [...new Set(input.channels)];
  channels.forEach((c, i) => {
    const problem = channelProblem(c);
    if (problem) throw new EngineError('invalid', `body.channels[${i}]`, problem);
  });
  return { origins: [...new Set(input.origins)], channels };
}

function newRecord(
  key: string,
  label: string,
  scopes: readonly Scope[],
  now: number,
  expiresAt: number | null,
  limits?: PublishableLimits,
): ApiKeyRecord {
  const d = digest(key);
  return {
    id: keyIdOf(d),
    digest: d.toString('hex'),
    label,
    scopes: [...new Set(scopes)],
    createdAt: now,
    expiresAt,
    revokedAt: null,
    replacedBy: null,
    origins: limits ? [...limits.origins] : null,
    channels: limits ? [...limits.channels] : null,
  };
}

export interface ResolvedKeys {
  keys: ApiKeys;
  /** Where the keys in force come from, for the start-up line. */
  summary: string;
  /** Plain keys, only when they were generated just now (to be printed once). */
  generated?: { apiKey: string; adminKey: string };
}

interface KeyConfig {
  apiKey?: string | undefined;
  adminKey?: string | undefined;
}

/** A key from the environment meets the same minimum as every other source. */
function envKey(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (!value) return undefined;
  const checked = keyString.safeParse(value);
  if (!checked.success) throw new Error(`${name}: ${checked.error.issues[0]?.message}`);
  return value;
}

/**
 * The keys in force: the environment's and the config file's (fixed), and the database's (managed). On a database
 * with no keys and no fixed ones, a first pair is generated: one pair per database, also when several processes
 * start at once. Pairs stored by releases before managed keys become managed keys.
 */
export async function resolveKeys(
  store: SettingsRepository & KeyRepository,
  env: NodeJS.ProcessEnv,
  config: KeyConfig = {},
  now: () => number = Date.now,
): Promise<ResolvedKeys> {
  const ring = new KeyRing(now);
  const keys = new ApiKeys(store, ring, now);
  const fixed: string[] = [];
  const addFixed = (key: string | undefined, label: string, admin: boolean, source: KeyEntry['source']) => {
    if (!key) return;
    ring.addFixed(key, label, admin ? ['admin'] : API_KEY_SCOPES, source);
    fixed.push(label);
  };
  addFixed(envKey(env, 'NEXTBEST_API_KEY'), 'NEXTBEST_API_KEY', false, 'environment');
  addFixed(envKey(env, 'NEXTBEST_ADMIN_KEY'), 'NEXTBEST_ADMIN_KEY', true, 'environment');
  addFixed(config.apiKey, 'config file apiKey', false, 'config file');
  addFixed(config.adminKey, 'config file adminKey', true, 'config file');

  let generated: ResolvedKeys['generated'];
  const legacy = await legacyPair(store);
  let pair = legacy;
  if (!pair && fixed.length === 0 && (await store.apiKeys()).length === 0) {
    const apiKey = generateKey('nbk');
    const adminKey = generateKey('nba');
    const mine = JSON.stringify({
      api: digest(apiKey).toString('hex'),
      admin: digest(adminKey).toString('hex'),
    });
    // Of processes starting at once on an empty database, one stores its pair and all use it.
    const stored = await store.setSettingOnce('keys.sha256', mine);
    pair = JSON.parse(stored) as { api: string; admin: string };
    if (stored === mine) generated = { apiKey, adminKey };
  }
  if (pair) await adopt(store, pair, now(), legacy !== undefined);
  await keys.refresh();
  const managed = ring.entries().filter((e) => e.source === 'database' && ring.works(e)).length;
  const summary = [
    ...(fixed.length > 0 ? [`${fixed.join(', ')}`] : []),
    `${managed} managed key${managed === 1 ? '' : 's'} in the database`,
  ].join(' and ');
  return { keys, summary, ...(generated ? { generated } : {}) };
}

/** The pair of digests a first start stored as settings (before managed keys, or just now). */
async function legacyPair(store: SettingsRepository): Promise<{ api: string; admin: string } | undefined> {
  const api = await store.getSetting('keys.api.sha256');
  const admin = await store.getSetting('keys.admin.sha256');
  if (api && admin) return { api, admin };
  const pair = await store.getSetting('keys.sha256');
  return pair ? (JSON.parse(pair) as { api: string; admin: string }) : undefined;
}

/** Makes a stored pair managed keys (once: a key adopted before, perhaps revoked since, stays as it is). */
async function adopt(
  store: KeyRepository,
  pair: { api: string; admin: string },
  now: number,
  fromEarlierRelease: boolean,
): Promise<void> {
  const existing = new Set((await store.apiKeys()).map((k) => k.digest));
  const rows: Array<[string, string, readonly Scope[]]> = [
    [pair.api, 'generated API key', API_KEY_SCOPES],
    [pair.admin, 'generated admin key', ['admin']],
  ];
  for (const [hex, label, scopes] of rows) {
    if (existing.has(hex)) continue;
    const id = keyIdOf(Buffer.from(hex, 'hex'));
    await store.changeApiKeys(
      {
        insert: {
          id,
          digest: hex,
          label,
          scopes: [...scopes],
          createdAt: now,
          expiresAt: null,
          revokedAt: null,
          replacedBy: null,
          origins: null,
          channels: null,
        },
        audit: {
          keyId: null,
          requestId: null,
          at: now,
          action: 'key.create',
          target: `key ${id}`,
          summary: `${fromEarlierRelease ? 'adopted from an earlier release' : 'generated at the first start'}: "${label}" with scopes ${scopes.join(', ')}`,
        },
      },
      now,
    );
  }
}
