// nextbest/client: a typed client of the HTTP API. Its types are generated from the server's OpenAPI document
// (openapi.ts, `npm run docs:client`), and openapi-fetch makes the calls, so a request or an answer that does not
// match the API fails to compile rather than at run time.
import createFetchClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './openapi.ts';

export type { components, paths };
/** Every schema of the API by its name: `Schemas['Decision']`, `Schemas['OutcomeRequest']`, ... */
export type Schemas = components['schemas'];
export type NextbestClient = Client<paths>;

export interface ClientOptions {
  /** Where the server is, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** An API key with the scopes of the routes the caller uses, or a function answering the current one. */
  key: string | (() => string);
  /** A fetch of the caller's own (tests, proxies); default globalThis.fetch. */
  fetch?: typeof fetch;
}

/**
 * A client for one server and key. Each call answers `{ data }` on success or `{ error }` with the API's error
 * body (its stable `code`), and `response` either way:
 *
 *     const nb = createClient({ baseUrl: 'http://127.0.0.1:8080', key });
 *     const { data } = await nb.POST('/v1/decide', { body: { customerId: 'C00042', channel: 'app' } });
 */
export function createClient(options: ClientOptions): NextbestClient {
  const { key } = options;
  const client = createFetchClient<paths>({
    baseUrl: options.baseUrl,
    ...(typeof key === 'string' ? { headers: { authorization: `Bearer ${key}` } } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  // A key that may change between calls (a page where the user signs in again) is read at each request.
  if (typeof key === 'function')
    client.use({
      onRequest({ request }) {
        request.headers.set('authorization', `Bearer ${key()}`);
        return request;
      },
    });
  return client;
}
