// Where API keys come from: the environment, a config file, or (first start) generated and stored as digests.
import type { SettingsRepository } from '../store/store.ts';
import { digest, generateKey, type KeyRing } from './auth.ts';
import { keyString } from './config.ts';

export interface ResolvedKeys {
  ring: KeyRing;
  source: 'environment' | 'config file' | 'store' | 'generated';
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

export async function resolveKeys(
  store: SettingsRepository,
  env: NodeJS.ProcessEnv,
  config: KeyConfig = {},
): Promise<ResolvedKeys> {
  const fromEnv: KeyConfig = {
    apiKey: envKey(env, 'NEXTBEST_API_KEY'),
    adminKey: envKey(env, 'NEXTBEST_ADMIN_KEY'),
  };
  if (fromEnv.apiKey || fromEnv.adminKey) {
    if (!fromEnv.apiKey || !fromEnv.adminKey)
      throw new Error('set both NEXTBEST_API_KEY and NEXTBEST_ADMIN_KEY, or neither');
    return {
      ring: { api: [digest(fromEnv.apiKey)], admin: [digest(fromEnv.adminKey)] },
      source: 'environment',
    };
  }
  if (config.apiKey || config.adminKey) {
    if (!config.apiKey || !config.adminKey)
      throw new Error('the config file sets one of apiKey and adminKey: set both, or neither');
    return {
      ring: { api: [digest(config.apiKey)], admin: [digest(config.adminKey)] },
      source: 'config file',
    };
  }
  // Stored before this release as two settings.
  const storedApi = await store.getSetting('keys.api.sha256');
  const storedAdmin = await store.getSetting('keys.admin.sha256');
  if (storedApi && storedAdmin) {
    return {
      ring: { api: [Buffer.from(storedApi, 'hex')], admin: [Buffer.from(storedAdmin, 'hex')] },
      source: 'store',
    };
  }
  const ringOf = (value: string) => {
    const pair = JSON.parse(value) as { api: string; admin: string };
    return { api: [Buffer.from(pair.api, 'hex')], admin: [Buffer.from(pair.admin, 'hex')] };
  };
  const existing = await store.getSetting('keys.sha256');
  if (existing) return { ring: ringOf(existing), source: 'store' };
  const apiKey = generateKey('nbk');
  const adminKey = generateKey('nba');
  const mine = JSON.stringify({
    api: digest(apiKey).toString('hex'),
    admin: digest(adminKey).toString('hex'),
  });
  // One pair per database: of processes starting at once on an empty one, one stores its pair and all use it.
  const stored = await store.setSettingOnce('keys.sha256', mine);
  const ring = ringOf(stored);
  if (stored !== mine) return { ring, source: 'store' };
  return { ring, source: 'generated', generated: { apiKey, adminKey } };
}
