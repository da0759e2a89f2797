// A short, readable summary of what a new catalog version changes, for the audit trail.
import type { CatalogFile } from './catalogSchema.ts';

type Definition = CatalogFile | Record<string, unknown>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** E.g. "actions: +NewOffer, -OldOffer, changed LoyaltyDiscount (lever, budget); contactPolicies changed". */
export function catalogDiff(before: Definition | undefined, after: Definition): string {
  if (!before) return `first version: ${actionsOf(after).size} actions`;
  const parts: string[] = [];
  const a = actionsOf(before);
  const b = actionsOf(after);
  const added = [...b.keys()].filter((id) => !a.has(id));
  const removed = [...a.keys()].filter((id) => !b.has(id));
  const changed: string[] = [];
  for (const [id, action] of b) {
    const old = a.get(id);
    if (!old || same(old, action)) continue;
    const fields = [...new Set([...Object.keys(old), ...Object.keys(action)])].filter(
      (k) => !same(old[k], action[k]),
    );
    changed.push(`${id} (${fields.join(', ')})`);
  }
  const actionParts = [
    ...added.map((id) => `+${id}`),
    ...removed.map((id) => `-${id}`),
    ...(changed.length > 0 ? [`changed ${changed.join(', ')}`] : []),
  ];
  if (actionParts.length > 0) parts.push(`actions: ${actionParts.join(', ')}`);
  const sections = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (k) => k !== 'actions',
  );
  const otherChanged = sections.filter(
    (k) => !same((before as Record<string, unknown>)[k], (after as Record<string, unknown>)[k]),
  );
  if (otherChanged.length > 0) parts.push(`${otherChanged.join(', ')} changed`);
  return parts.length > 0 ? parts.join('; ') : 'no change';
}

function actionsOf(def: Definition): Map<string, Record<string, unknown>> {
  const list = ((def as { actions?: unknown }).actions ?? []) as Array<Record<string, unknown>>;
  return new Map(list.map((x) => [String(x.id), x]));
}
