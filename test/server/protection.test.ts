// Rate limits, security headers, CORS and the config file, through the real HTTP server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, API_KEY, callUrl, PROCESS_ENV, spawnServer, startServer } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-protection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const catalog = JSON.stringify(smallCatalogDoc());

describe('security headers and CORS', () => {
  it('sends a CSP, frame denial and nosniff on the API and the pages; no CORS unless configured', async () => {
    const s = await startServer(catalog);
    try {
      for (const path of ['/v1/health', '/', '/docs/']) {
        const res = await fetch(s.url + path, { headers: { origin: 'https://evil.example' } });
        expect(res.headers.get('content-security-policy')).toMatch(
          /default-src 'self'.*frame-ancestors 'none'/,
        );
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
    } finally {
      await s.stop();
    }
  });

  it('allows exactly the configured origins', async () => {
    const s = await startServer(catalog, {}, undefined, { corsOrigins: ['https://shop.example.com'] });
    try {
      const preflight = (origin: string) =>
        fetch(`${s.url}/v1/decide`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization,content-type',
          },
        });
      const allowed = await preflight('https://shop.example.com');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
      const other = await preflight('https://evil.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await s.stop();
    }
  });
});

describe('rate limits', () => {
  it('per key, per address and, much lower, for failed authentication: 429 with Retry-After and the reason', async () => {
    const s = await startServer(catalog, {}, undefined, {
      rateLimits: {
        perKey: { max: 5, windowSeconds: 60 },
        perIp: { max: 8, windowSeconds: 60 },
        failedAuth: { max: 3, windowSeconds: 60 },
      },
    });
    try {
      const decide = (key: string | null) => s.call('POST', '/v1/decide', { body: { channel: 'web' }, key });
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await decide(API_KEY)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
      const limited = await fetch(`${s.url}/v1/decide`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: '{"channel":"web"}',
      });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await limited.json()) as { message: string; field: string };
      expect(body.message).toMatch(/rate limit of this key \(5 requests per 60 seconds\) exceeded; retry in/);
      expect(body.field).toBe('headers.authorization');
      // Another key has its own budget.
      expect((await decide(ADMIN_KEY)).status).toBe(200);
      // Wrong keys: three 401s, then 429s, whatever the key.
      const wrong = [];
      for (let i = 0; i < 5; i++) wrong.push((await decide(`wrong-key-${i}-0123456789`)).status);
      expect(wrong).toEqual([401, 401, 401, 429, 429]);
      expect((await decide(null)).status).toBe(429);
      // Public routes count per address.
      const health = [];
      for (let i = 0; i < 9; i++) health.push((await s.call('GET', '/v1/health', { key: null })).status);
      expect(health.filter((x) => x === 429)).toHaveLength(1);
    } finally {
      await s.stop();
    }
  });

  it('a burst of simultaneous requests at a served process gets 429s beyond the limit, not 5xx', async () => {
    const config = join(dir, 'limits.json');
    writeFileSync(
      config,
      JSON.stringify({
        rateLimits: { perKey: { max: 100, windowSeconds: 60 }, failedAuth: { max: 20, windowSeconds: 60 } },
      }),
    );
    const server = await spawnServer(['--db', join(dir, 'burst.db'), '--config', config, '--no-demo-data'], {
      NEXTBEST_RATE_LIMITS: 'on',
    });
    try {
      const burst = await Promise.all(
        Array.from({ length: 300 }, () => callUrl(server.url, 'POST', '/v1/decide', { channel: 'web' })),
      );
      const count = (status: number) => burst.filter((r) => r.status === status).length;
      expect(count(200)).toBe(100);
      expect(count(429)).toBe(200);
      const guesses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          callUrl(server.url, 'POST', '/v1/decide', { channel: 'web' }, `guess-${i}-0123456789abcdef`),
        ),
      );
      expect(guesses.filter((r) => r.status === 401)).toHaveLength(20);
      expect(guesses.filter((r) => r.status === 429)).toHaveLength(180);
    } finally {
      await server.stop();
    }
  });
});

describe('the config file and keys', () => {
  const serve = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(
      process.execPath,
      ['bin/nextbest.mjs', 'serve', '--port', '0', '--db', join(dir, 'cfg.db'), ...args],
      {
        env: { ...process.env, ...PROCESS_ENV, ...env },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );

  it('a bad config file is one line naming the field, before anything is loaded', () => {
    const cases: Array<[string, RegExp]> = [
      [
        '{"rateLimits": {"perKey": {"max": 0, "windowSeconds": 1}}}',
        /--config: .*limits\.json: rateLimits\.perKey\.max: /,
      ],
      ['{"apiKey": "short", "adminKey": "also-short"}', /apiKey: at least 16 characters/],
      ['{"cors": {"origins": ["*"]}}', /cors\.origins\.0: an origin such as/],
      ['{"rateLimit": false}', /rateLimit: unknown field/],
      ['{"retention": {"decisionsDays": 0}}', /retention\.decisionsDays: /],
      ['{"retention": {"decisionDays": 30}}', /retention\.decisionsDays: .*expected number/],
      ['{ not json', /not valid JSON/],
    ];
    for (const [text, message] of cases) {
      writeFileSync(join(dir, 'limits.json'), text);
      const r = serve(['--config', join(dir, 'limits.json')]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(readFileSync(join(dir, 'limits.json'), 'utf8')).toBe('{ not json');
  });

  it('keys from the environment meet the same minimum', () => {
    const r = serve([], { NEXTBEST_ADMIN_KEY: 'b' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/NEXTBEST_ADMIN_KEY: at least 16 characters/);
  });
});
