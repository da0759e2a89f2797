// The public HTTP API, with the admin key the user entered once (kept in localStorage). A link with #key=…
// (printed by `nextbest demo`) stores the key and removes it from the address bar.
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

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${adminKey.get()}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const err = parsed as { message?: string; field?: string } | undefined;
    throw new ApiError(res.status, err?.message ?? `HTTP ${res.status}`, err?.field);
  }
  return parsed as T;
}

/** Escapes text for innerHTML templates. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
