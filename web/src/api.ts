// The public HTTP API through the package's typed client (nextbest/client), with the key the user entered once
// (kept in localStorage), so the pages use the wire types of the OpenAPI document instead of declaring their own.
// A link with #key=… (printed by `nextbest demo`) stores the key and removes it from the address bar.
import { createClient, type Schemas } from '../../src/client/index.ts';
import { currentLang } from './i18n.ts';

export type { Schemas };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

const KEY = 'nextbest.adminKey';

export function takeKeyFromUrl(): void {
  const m = /(?:^|[#&])key=([^&]+)/.exec(location.hash);
  if (m) {
    localStorage.setItem(KEY, decodeURIComponent(m[1]!));
    history.replaceState(null, '', location.pathname + location.search);
  }
}

export const adminKey = {
  get: () => localStorage.getItem(KEY) ?? '',
  set: (key: string) => localStorage.setItem(KEY, key.trim()),
  clear: () => localStorage.removeItem(KEY),
};

/** The typed client; the key is read at each call, so signing in again needs no new client. */
export const nb = createClient({ baseUrl: location.origin, key: adminKey.get });
// Explanations and reasons come in the page's language, not the browser's.
nb.use({
  onRequest({ request }) {
    request.headers.set('accept-language', currentLang());
    return request;
  },
});

/** The answer of a client call, or an ApiError with the error body's message and field. */
export async function ok<R extends { data?: unknown; error?: unknown; response: Response }>(
  call: Promise<R>,
): Promise<NonNullable<R['data']>> {
  const { data, error, response } = await call;
  if (!response.ok) {
    const body = error as { message?: string; field?: string } | undefined;
    throw new ApiError(response.status, body?.message ?? `HTTP ${response.status}`, body?.field);
  }
  return data as NonNullable<R['data']>;
}

/** Escapes text for innerHTML templates. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
