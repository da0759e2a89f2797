// Contact policies: limits derived from the customer's interaction history (how often an action, its group,
// its issue or anything at all was shown; a pause after a rejection; no repeat after an acceptance).
import type { Catalog, CompiledAction } from './catalog.ts';
import type { ContactPolicyDefinition } from './catalogSchema.ts';
import type { DropReason } from './reasons.ts';
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

/** Why a policy blocks an action: the policy and what it counted or when it paused. */
export type PolicyBlock = Extract<
  DropReason,
  { code: 'maxContacts' | 'pausedAfterReject' | 'stoppedAfterAccept' }
>;

/** An action already chosen in the decision being made (earlier slots), which a cap counts as a contact. */
export type PendingContact = Pick<CompiledAction, 'id' | 'issue' | 'group'>;

/** Whether a pending contact falls in the policy's scope for this action. */
function inScope(policy: ContactPolicyDefinition, action: PendingContact, other: PendingContact): boolean {
  switch (policy.scope) {
    case 'action':
      return other.id === action.id;
    case 'group':
      return other.issue === action.issue && other.group === action.group;
    case 'issue':
      return other.issue === action.issue;
    case 'customer':
      return true;
  }
}

function checkPolicy(
  policy: ContactPolicyDefinition,
  action: PendingContact,
  key: string,
  index: HistoryIndex,
  channel: string,
  now: number,
  pending: readonly PendingContact[],
  room?: { left: number },
): PolicyBlock | undefined {
  if (policy.channels && !policy.channels.includes(channel)) return undefined;
  // Contacts of this decision's earlier slots count like logged ones (they are logged with it).
  const alsoNow =
    policy.type === 'maxContacts' && policy.countOn === 'decision'
      ? pending.filter((p) => inScope(policy, action, p)).length
      : 0;
  const all = index.get(key);
  if (!all && alsoNow === 0) {
    if (room && policy.type === 'maxContacts' && policy.countOn === 'decision')
      room.left = Math.min(room.left, policy.count);
    return undefined;
  }
  const records = !all ? [] : policy.channels ? all.filter((r) => policy.channels!.includes(r.channel)) : all;
  switch (policy.type) {
    case 'maxContacts': {
      const since = now - policy.days * DAY_MS;
      const kind = policy.countOn === 'decision' ? 'contact' : 'impression';
      let count = alsoNow;
      for (const r of records) if (r.kind === kind && r.at > since && r.at <= now) count++;
      if (room && policy.countOn === 'decision') room.left = Math.min(room.left, policy.count - count);
      if (count >= policy.count) {
        return {
          code: 'maxContacts',
          policy: policy.id,
          scope: policy.scope,
          count,
          max: policy.count,
          days: policy.days,
        };
      }
      return undefined;
    }
    case 'pauseAfterReject': {
      let last = -Infinity;
      for (const r of records) if (r.kind === 'reject' && r.at <= now && r.at > last) last = r.at;
      const until = last + policy.days * DAY_MS;
      if (until > now) {
        return { code: 'pausedAfterReject', policy: policy.id, scope: policy.scope, rejectedAt: last, until };
      }
      return undefined;
    }
    case 'stopAfterAccept': {
      const since = policy.days === undefined ? -Infinity : now - policy.days * DAY_MS;
      for (const r of records) {
        if ((r.kind === 'accept' || r.kind === 'convert') && r.at > since && r.at <= now) {
          return {
            code: 'stoppedAfterAccept',
            policy: policy.id,
            scope: policy.scope,
            acceptedAt: r.at,
            ...(policy.days === undefined ? {} : { days: policy.days }),
          };
        }
      }
      return undefined;
    }
  }
}

/**
 * The first policy that blocks this action for this customer now, or undefined when it may be offered.
 * `pending`: actions chosen already in the same decision, which caps on decisions count too. `room`, when
 * given, ends as the fewest further contacts any cap on decisions allows (Infinity without such caps).
 */
export function checkContactPolicies(
  catalog: Catalog,
  action: CompiledAction,
  index: HistoryIndex,
  channel: string,
  now: number,
  pending: readonly PendingContact[] = [],
  room?: { left: number },
  memo?: PolicyMemo,
): PolicyBlock | undefined {
  const keys = scopeKeysOf(catalog, action);
  for (let k = 0; k < action.contactPolicies.length; k++) {
    const i = action.contactPolicies[k]!;
    const policy = catalog.contactPolicies[i];
    if (!policy) continue;
    const key = keys[k]!;
    if (!memo || pending.length > 0 || policy.scope === 'action') {
      const block = checkPolicy(policy, action, key, index, channel, now, pending, room);
      if (block) return block;
      continue;
    }
    // A policy over a group, an issue or the whole customer answers alike for every action in its scope: with a
    // thousand actions under one customer-wide cap, the history is counted once instead of a thousand times.
    let answers = memo[i];
    if (!answers) {
      answers = new Map();
      memo[i] = answers;
    }
    let known = answers.get(key);
    if (!known) {
      const left = { left: Number.POSITIVE_INFINITY };
      known = {
        block: checkPolicy(policy, action, key, index, channel, now, pending, left),
        left: left.left,
      };
      answers.set(key, known);
    }
    if (room) room.left = Math.min(room.left, known.left);
    if (known.block) return { ...known.block };
  }
  return undefined;
}

/**
 * What the policies over groups, issues and the customer answered within one decision (no pending contacts), per
 * policy (its index in the catalog) and scope key: their answer is the same for every action in the scope.
 */
export type PolicyMemo = Array<Map<string, { block: PolicyBlock | undefined; left: number }> | undefined>;

/** Each action's history keys for its policies (aligned with `contactPolicies`), made once per compiled action. */
const SCOPE_KEYS = new WeakMap<CompiledAction, readonly string[]>();

function scopeKeysOf(catalog: Catalog, action: CompiledAction): readonly string[] {
  let keys = SCOPE_KEYS.get(action);
  if (!keys) {
    keys = action.contactPolicies.map((i) => {
      const p = catalog.contactPolicies[i];
      return p ? scopeKey(p.scope, action.issue, action.group, action.id) : '';
    });
    SCOPE_KEYS.set(action, keys);
  }
  return keys;
}

/** The caps that count decisions on this channel and apply to the action. */
function decisionCaps(catalog: Catalog, action: CompiledAction, channel: string): ContactPolicyDefinition[] {
  return action.contactPolicies.flatMap((i) => {
    const p = catalog.contactPolicies[i];
    return p?.type === 'maxContacts' &&
      p.countOn === 'decision' &&
      (!p.channels || p.channels.includes(channel))
      ? [p]
      : [];
  });
}

/**
 * Whether an action is under a cap that counts decisions on this channel: only such caps can be overrun by
 * decisions made at the same time, so only they are re-checked when a decision is committed.
 */
export function hasDecisionCap(catalog: Catalog, action: CompiledAction, channel: string): boolean {
  return decisionCaps(catalog, action, channel).length > 0;
}

/**
 * What a decision's commit re-checks against the customer's history as committed: the chosen actions (in rank
 * order) with the caps on decisions that apply to them on this channel. Plain data, so that a store can run the
 * check wherever its transaction runs (another thread, another process).
 */
export interface CapCheck {
  channel: string;
  now: number;
  chosen: Array<PendingContact & { caps: ContactPolicyDefinition[] }>;
}

/** The cap check of a decision's chosen actions. */
export function capCheckOf(
  catalog: Catalog,
  chosen: readonly string[],
  channel: string,
  now: number,
): CapCheck {
  return {
    channel,
    now,
    chosen: chosen.flatMap((id) => {
      const action = catalog.actionsById.get(id);
      return action
        ? [{ id, issue: action.issue, group: action.group, caps: decisionCaps(catalog, action, channel) }]
        : [];
    }),
  };
}

/**
 * The chosen actions that the caps on decisions no longer allow, given the history as it is when the decision
 * commits and the slots before each one: what a commit must refuse.
 */
export function capViolations(check: CapCheck, history: readonly InteractionRecord[]): string[] {
  const { channel, now } = check;
  // A decision committed meanwhile may carry a slightly later clock (another request, another node): at commit
  // time it has happened, so it counts as of now.
  const index = indexHistory(history.map((r) => (r.at > now ? { ...r, at: now } : r)));
  const pending: PendingContact[] = [];
  const blocked: string[] = [];
  for (const action of check.chosen) {
    const blockedBy = (p: ContactPolicyDefinition) =>
      checkPolicy(
        p,
        action,
        scopeKey(p.scope, action.issue, action.group, action.id),
        index,
        channel,
        now,
        pending,
      );
    if (action.caps.some(blockedBy)) blocked.push(action.id);
    pending.push(action);
  }
  return blocked;
}
