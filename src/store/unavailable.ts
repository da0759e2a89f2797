// Which store failures mean "the store cannot serve now" (disk full, read-only, file gone, database down) as
// opposed to a bug or a bad request: those become 503 with Retry-After and put the process in degraded mode.

/** The store cannot serve now; `reason` says why in words an operator understands. */
export class StoreUnavailableError extends Error {
  readonly code = 'NB_STORE_UNAVAILABLE';
  constructor(readonly reason: string) {
    super(`store unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}

const SQLITE: Array<[RegExp, string]> = [
  [/^SQLITE_FULL/, 'disk full'],
  [/^SQLITE_READONLY/, 'database is read-only'],
  [/^SQLITE_IOERR/, 'disk I/O error'],
  [/^SQLITE_CANTOPEN/, 'cannot open the database file'],
  [/^SQLITE_(CORRUPT|NOTADB)/, 'database file is damaged'],
  [/^SQLITE_BUSY/, 'database is locked by another process'],
  [/^SQLITE_PROTOCOL/, 'database lock protocol error'],
];

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/**
 * Failures that may only mean load (a busy lock, a wait for a pooled connection): the request fails with 503,
 * but the process enters degraded mode only if a probe confirms it.
 */
export function isDoubtful(reason: string): boolean {
  return DOUBTFUL.has(reason);
}
const DOUBTFUL = new Set(['database is locked by another process', 'database did not answer in time']);

/** Why an error means the store is unavailable, or undefined when it is some other error. */
export function unavailableReason(error: unknown): string | undefined {
  if (error instanceof StoreUnavailableError) return error.reason;
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code === 'NB_STORE_UNAVAILABLE') return message.replace(/^store unavailable: /, '');
  for (const [pattern, reason] of SQLITE) if (pattern.test(code)) return reason;
  if (/database connection is not open/i.test(message)) return 'database connection closed';
  if (/the SQLite writer thread stopped/.test(message)) return 'database writer stopped';
  // PostgreSQL SQLSTATE classes: 08 connection, 57P operator intervention (shutdown), 53 resources.
  if (/^08/.test(code)) return 'database connection failed';
  if (/^57P/.test(code)) return 'database is shutting down or restarting';
  if (code === '53100') return 'database disk full';
  if (/^53/.test(code)) return 'database out of resources';
  if (code === '25006') return 'database is read-only';
  if (NETWORK.has(code)) return `database unreachable (${code})`;
  if (/timeout exceeded when trying to connect/i.test(message)) return 'database did not answer in time';
  if (/Connection terminated|Client has encountered a connection error/i.test(message))
    return 'database unreachable';
  return undefined;
}
