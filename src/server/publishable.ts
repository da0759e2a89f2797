// Web pages and apps call the API with a publishable key, which anybody can read in the page: it may only decide
// and report what a visitor does, on its own channels, from its own origins, and a known customer comes as a token
// the site's backend signed (a JWT, HS256, with `sub` the customer id and an `exp`), never as a bare id a visitor
// could change. JWT verification is the `jose` library's, not ours.
import type { FastifyRequest } from 'fastify';
import { errors as joseErrors, jwtVerify } from 'jose';
import { ID_MAX_LENGTH } from '../core/limits.ts';
import { type Identity, PUBLISHABLE_OUTCOMES } from './auth.ts';
import type { ErrorCode } from './errorCodes.ts';

/** A request refused for who sent it or what it asserts (401/403), or how (400), naming the field. */
export class Refusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403,
    readonly field: string,
    message: string,
    readonly code?: ErrorCode,
  ) {
    super(`${field}: ${message}`);
    this.name = 'Refusal';
  }
}

type Limits = NonNullable<Identity['publishable']>;

declare module 'fastify' {
  interface FastifyRequest {
    /** A publishable key's limits (set by the key check), null for other keys. */
    publishable: Limits | null;
  }
}

/** The browser's origin must be one the key names (a page elsewhere cannot use a key copied from the site). */
function checkOrigin(request: FastifyRequest, limits: Limits): void {
  const origin = request.headers.origin;
  if (!origin)
    throw new Refusal(
      403,
      'headers.origin',
      'a publishable key is used from a web page, which sends its origin',
    );
  if (!limits.origins.has(origin))
    throw new Refusal(403, 'headers.origin', `'${origin}' is not an origin of this publishable key`);
}

function checkChannel(channel: string, limits: Limits, field: string): void {
  if (!limits.channels.has(channel))
    throw new Refusal(
      403,
      field,
      `channel '${channel}' is not one of this publishable key's (${[...limits.channels].join(', ')})`,
    );
}

/** What a decide request with a publishable key may not ask. */
export function admitDecide(
  request: FastifyRequest,
  body: { channel: string; customerId?: string | undefined; explain?: boolean | undefined },
): void {
  const limits = request.publishable;
  if (!limits) return;
  checkOrigin(request, limits);
  checkChannel(body.channel, limits, 'body.channel');
  if (body.customerId !== undefined)
    throw new Refusal(
      403,
      'body.customerId',
      "a publishable key names a known customer by body.customerToken (signed by the site's backend) only",
    );
  if (body.explain) throw new Refusal(403, 'body.explain', 'explanations are not given to a publishable key');
}

/** What an outcome with a publishable key may not report: conversions, values, other channels' decisions. */
export function admitOutcome(
  request: FastifyRequest,
  body: { outcome: string; value?: number | undefined },
  decisionChannel: () => Promise<string>,
): Promise<void> | undefined {
  const limits = request.publishable;
  if (!limits) return undefined;
  checkOrigin(request, limits);
  if (!(PUBLISHABLE_OUTCOMES as readonly string[]).includes(body.outcome))
    throw new Refusal(
      403,
      'body.outcome',
      `a publishable key reports ${PUBLISHABLE_OUTCOMES.join(', ')}; '${body.outcome}' comes from a backend key`,
    );
  if (body.value !== undefined)
    throw new Refusal(403, 'body.value', 'values come from a backend key, not from a web page');
  return decisionChannel().then((channel) => checkChannel(channel, limits, 'body.decisionId'));
}

/** Verifies customer tokens with the server's secret. */
export class CustomerTokens {
  private readonly key: Uint8Array | undefined;

  constructor(secret: string | undefined) {
    this.key = secret ? new TextEncoder().encode(secret) : undefined;
  }

  /** The customer id a token names; a Refusal when it does not verify, has expired or names none. */
  async customerOf(token: string): Promise<string> {
    const field = 'body.customerToken';
    if (!this.key)
      throw new Refusal(
        400,
        field,
        'this server verifies no customer tokens: set customerTokenSecret in its config (or NEXTBEST_CUSTOMER_TOKEN_SECRET)',
      );
    let sub: unknown;
    try {
      ({
        payload: { sub },
      } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        requiredClaims: ['sub', 'exp'],
        clockTolerance: 30,
      }));
    } catch (error) {
      throw new Refusal(401, field, reasonOf(error), 'NB_ERR_CUSTOMER_TOKEN');
    }
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > ID_MAX_LENGTH)
      throw new Refusal(
        401,
        field,
        `its sub must be a customer id of 1 to ${ID_MAX_LENGTH} characters`,
        'NB_ERR_CUSTOMER_TOKEN',
      );
    return sub;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return 'the signature does not verify with this server’s secret';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim}: ${error.reason}`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'tokens are signed with HS256';
  return 'not a signed token (a JWT signed with HS256)';
}
