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

/** The role a bearer token grants, or undefined for a missing or wrong key. */
export function roleOf(ring: KeyRing, authorization: string | undefined): Role | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const d = digest(match[1]!);
  if (contains(ring.admin, d)) return 'admin';
  if (contains(ring.api, d)) return 'api';
  return undefined;
}

/** A short, stable id of a valid key (its digest's first 8 bytes in hex), for rate limits and logs. */
export function keyIdOf(ring: KeyRing, authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const d = digest(match[1]!);
  return contains(ring.admin, d) || contains(ring.api, d) ? d.subarray(0, 8).toString('hex') : undefined;
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
