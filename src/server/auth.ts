// API keys: one role for decisions and outcomes, one for administration (which may also decide).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

export type Role = 'api' | 'admin';

/** Keys are kept as SHA-256 digests, so a stored configuration never holds a usable key. */
export interface KeyRing {
  api: Buffer[];
  admin: Buffer[];
}

export function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function generateKey(prefix: 'nbk' | 'nba'): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

function contains(list: Buffer[], candidate: Buffer): boolean {
  let found = false;
  // Compare against every key with a constant-time comparison, so timing does not tell which one matched.
  for (const k of list) if (timingSafeEqual(k, candidate)) found = true;
  return found;
}

/** What a bearer token is: the role it grants and its key's id, or undefined for a missing or wrong key. */
export interface Identity {
  role: Role;
  /** A short, stable id of the key (its digest's first 8 bytes in hex), for rate limits and the audit trail. */
  keyId: string;
}

export function identify(ring: KeyRing, authorization: string | undefined): Identity | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const d = digest(match[1]!);
  const role: Role | undefined = contains(ring.admin, d)
    ? 'admin'
    : contains(ring.api, d)
      ? 'api'
      : undefined;
  return role ? { role, keyId: d.subarray(0, 8).toString('hex') } : undefined;
}

const identities = new WeakMap<FastifyRequest, Identity | null>();

/** The request's identity, worked out once per request (the rate limit and the key check both ask). */
export function identityOf(ring: KeyRing, request: FastifyRequest): Identity | undefined {
  let found = identities.get(request);
  if (found === undefined) {
    found = identify(ring, request.headers.authorization) ?? null;
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
