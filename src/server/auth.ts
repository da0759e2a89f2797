// API keys and their scopes: which key a request carries, and what it may do.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { keyWorks } from '../store/keyRows.ts';
import type { ApiKeyRecord } from '../store/store.ts';

/**
 * What a key may do. `admin` may do everything; the others are for one kind of caller each, so that a key leaked
 * from a web shop cannot read the dashboard or change the catalog.
 */
export const SCOPES = ['decide', 'outcomes', 'events', 'outbound', 'read', 'admin', 'publishable'] as const;
export type Scope = (typeof SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  decide: 'ask for decisions and read them with their explanations (touchpoints)',
  outcomes: 'report what customers did with an offer',
  events: 'send customer events and profiles (data feeds, CRM)',
  outbound: 'take, acknowledge and release outbound messages (delivery connectors)',
  read: 'read everything the dashboard shows: KPIs, models, decisions, customers, the catalog',
  admin: 'everything, including catalog changes, erasure, export, keys and the audit trail',
  publishable:
    "a key for web pages and apps, public by nature: decisions and impressions, clicks, accepts and rejects on its channels only, from its origins only, a known customer named by a token the site's backend signs; no other scope with it",
};

/** The outcomes a publishable key may report (what a visitor does on a page; conversions come from backends). */
export const PUBLISHABLE_OUTCOMES = ['impression', 'click', 'accept', 'reject'] as const;

/** What the API key of releases before scopes could do (NEXTBEST_API_KEY, `apiKey` in the config file). */
export const API_KEY_SCOPES: readonly Scope[] = ['decide', 'outcomes', 'events', 'outbound'];

export function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** A key's id: its digest's first 8 bytes in hex, stable and safe to show. */
export function keyIdOf(keyDigest: Buffer): string {
  return keyDigest.subarray(0, 8).toString('hex');
}

/** `nbp_` marks a publishable key (public by nature), `nba_` a generated admin key. */
export function generateKey(prefix: 'nbk' | 'nba' | 'nbp' = 'nbk'): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

export type KeySource = 'database' | 'environment' | 'config file' | 'this run';

/** A key the server knows, without the key itself. */
export interface KeyEntry {
  id: string;
  label: string;
  scopes: readonly Scope[];
  source: KeySource;
  createdAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
  replacedBy: string | null;
  /** A publishable key's origins and channels (null for other keys). */
  origins: readonly string[] | null;
  channels: readonly string[] | null;
}

/** What a bearer token is: its key's id, label and scopes, and a publishable key's limits. */
export interface Identity {
  keyId: string;
  label: string;
  scopes: ReadonlySet<Scope>;
  publishable?: { origins: ReadonlySet<string>; channels: ReadonlySet<string> };
}

interface Known {
  entry: KeyEntry;
  identity: Identity;
}

function known(entry: KeyEntry): Known {
  const identity: Identity = { keyId: entry.id, label: entry.label, scopes: new Set(entry.scopes) };
  if (entry.scopes.includes('publishable'))
    identity.publishable = { origins: new Set(entry.origins ?? []), channels: new Set(entry.channels ?? []) };
  return { entry, identity };
}

const isScope = (s: string): s is Scope => (SCOPES as readonly string[]).includes(s);

/**
 * The keys in force: fixed ones (environment, config file) and the managed ones from the database, which
 * `ApiKeys` refreshes. Looked up by digest in a map: the digest of an unknown token says nothing about a key.
 */
export class KeyRing {
  private readonly fixed = new Map<string, Known>();
  private stored = new Map<string, Known>();
  private origins: ReadonlySet<string> = new Set();

  constructor(private readonly now: () => number = Date.now) {}

  /** Adds a key that is not in the database (it cannot be revoked through the API). */
  addFixed(key: string, label: string, scopes: readonly Scope[], source: KeySource): KeyEntry {
    const d = digest(key);
    const entry: KeyEntry = {
      id: keyIdOf(d),
      label,
      scopes,
      source,
      createdAt: null,
      expiresAt: null,
      revokedAt: null,
      replacedBy: null,
      origins: null,
      channels: null,
    };
    this.fixed.set(d.toString('hex'), known(entry));
    return entry;
  }

  /** Replaces the managed keys with the database's (revoked and expired ones included, for listing). */
  setStored(records: readonly ApiKeyRecord[]): void {
    const next = new Map<string, Known>();
    for (const r of records) {
      next.set(
        r.digest,
        known({
          id: r.id,
          label: r.label,
          scopes: r.scopes.filter(isScope),
          source: 'database',
          createdAt: r.createdAt,
          expiresAt: r.expiresAt,
          revokedAt: r.revokedAt,
          replacedBy: r.replacedBy,
          origins: r.origins,
          channels: r.channels,
        }),
      );
    }
    this.stored = next;
    this.origins = new Set(
      [...next.values()].flatMap(({ entry }) => (entry.origins && this.works(entry) ? entry.origins : [])),
    );
  }

  identify(authorization: string | undefined): Identity | undefined {
    if (!authorization) return undefined;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) return undefined;
    const d = digest(match[1]!).toString('hex');
    const found = this.fixed.get(d) ?? this.stored.get(d);
    if (!found) return undefined;
    return this.works(found.entry) ? found.identity : undefined;
  }

  /**
   * The origins of the publishable keys that worked at the last refresh (about a second ago): browsers there may
   * call the API (CORS). Each request's key is checked again by itself.
   */
  publishableOrigins(): ReadonlySet<string> {
    return this.origins;
  }

  entries(): KeyEntry[] {
    return [...this.fixed.values(), ...this.stored.values()].map((k) => k.entry);
  }

  /** Whether a key works now (fixed keys always do). */
  works(entry: KeyEntry): boolean {
    return entry.source !== 'database' || keyWorks(entry, this.now());
  }
}

/** Whether an identity may use a route that accepts any of `needed`. */
export function allows(identity: Identity, needed: readonly Scope[]): boolean {
  return identity.scopes.has('admin') || needed.some((s) => identity.scopes.has(s));
}

const identities = new WeakMap<FastifyRequest, Identity | null>();

/** The request's identity, worked out once per request (the rate limit and the key check both ask). */
export function identityOf(ring: KeyRing, request: FastifyRequest): Identity | undefined {
  let found = identities.get(request);
  if (found === undefined) {
    found = ring.identify(request.headers.authorization) ?? null;
    identities.set(request, found);
  }
  return found ?? undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the key the request was authorised with (set by the key check), for the audit trail. */
    keyId: string | null;
  }
}

/** Who made a request, for the audit trail. */
export function actorOf(request: FastifyRequest): { keyId: string | null; requestId: string } {
  return { keyId: request.keyId ?? null, requestId: String(request.id) };
}
