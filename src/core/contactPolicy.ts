// Contact policies: limits derived from the customer's interaction history (how often an action, its group,
// its issue or anything at all was shown; a pause after a rejection; no repeat after an acceptance).
import type { Catalog, CompiledAction, ContactPolicyDefinition } from './catalog.ts';
import type { InteractionRecord } from './types.ts';

export const DAY_MS = 86_400_000;

/** History grouped by the keys the policy scopes count on, built once per decision. */
export type HistoryIndex = ReadonlyMap<string, InteractionRecord[]>;

function scopeKey(
  scope: ContactPolicyDefinition['scope'],
  issue: string,
  group: string,
  actionId: string,
): string {
  switch (scope) {
    case 'action':
      return `a:${actionId}`;
    case 'group':
      return `g:${issue}/${group}`;
    case 'issue':
      return `i:${issue}`;
    case 'customer':
      return 'c';
  }
}

export function indexHistory(history: readonly InteractionRecord[]): HistoryIndex {
  const index = new Map<string, InteractionRecord[]>();
  const add = (key: string, record: InteractionRecord) => {
    const list = index.get(key);
    if (list) list.push(record);
    else index.set(key, [record]);
  };
  for (const r of history) {
    add(`a:${r.actionId}`, r);
    add(`g:${r.issue}/${r.group}`, r);
    add(`i:${r.issue}`, r);
    add('c', r);
  }
  return index;
}

/** How much history the engine must load for this catalog's policies. */
export function historyRequirement(catalog: Catalog): { days: number; acceptsForever: boolean } {
  let days = 0;
  let acceptsForever = false;
  for (const p of catalog.contactPolicies) {
    if (p.type === 'stopAfterAccept' && p.days === undefined) acceptsForever = true;
    else days = Math.max(days, p.days ?? 0);
  }
  return { days, acceptsForever };
}

export interface PolicyBlock {
  policyId: string;
  reason: string;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function checkPolicy(
  policy: ContactPolicyDefinition,
  action: CompiledAction,
  index: HistoryIndex,
  channel: string,
  now: number,
): PolicyBlock | undefined {
  if (policy.channels && !policy.channels.includes(channel)) return undefined;
  const all = index.get(scopeKey(policy.scope, action.issue, action.group, action.id));
  if (!all) return undefined;
  const records = policy.channels ? all.filter((r) => policy.channels!.includes(r.channel)) : all;
  const what = policy.scope === 'customer' ? 'any action' : `this ${policy.scope}`;
  switch (policy.type) {
    case 'maxContacts': {
      const since = now - policy.days * DAY_MS;
      const kind = policy.countOn === 'decision' ? 'contact' : 'impression';
      let count = 0;
      for (const r of records) if (r.kind === kind && r.at > since && r.at <= now) count++;
      if (count >= policy.count) {
        return {
          policyId: policy.id,
          reason: `${count} contacts for ${what} in the last ${policy.days} days (at most ${policy.count})`,
        };
      }
      return undefined;
    }
    case 'pauseAfterReject': {
      let last = -Infinity;
      for (const r of records) if (r.kind === 'reject' && r.at <= now && r.at > last) last = r.at;
      const until = last + policy.days * DAY_MS;
      if (until > now) {
        return {
          policyId: policy.id,
          reason: `${what} was rejected on ${isoDay(last)}: paused until ${isoDay(until)}`,
        };
      }
      return undefined;
    }
    case 'stopAfterAccept': {
      const since = policy.days === undefined ? -Infinity : now - policy.days * DAY_MS;
      for (const r of records) {
        if ((r.kind === 'accept' || r.kind === 'convert') && r.at > since && r.at <= now) {
          const window = policy.days === undefined ? '' : ` (within ${policy.days} days)`;
          return { policyId: policy.id, reason: `${what} was accepted on ${isoDay(r.at)}${window}` };
        }
      }
      return undefined;
    }
  }
}

/** The first policy that blocks this action for this customer now, or undefined when it may be offered. */
export function checkContactPolicies(
  catalog: Catalog,
  action: CompiledAction,
  index: HistoryIndex,
  channel: string,
  now: number,
): PolicyBlock | undefined {
  for (const i of action.contactPolicies) {
    const policy = catalog.contactPolicies[i];
    if (!policy) continue;
    const block = checkPolicy(policy, action, index, channel, now);
    if (block) return block;
  }
  return undefined;
}
