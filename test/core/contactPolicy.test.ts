import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/core/catalog.ts';
import {
  capCheckOf,
  capViolations,
  checkContactPolicies,
  DAY_MS,
  historyRequirement,
  indexHistory,
} from '../../src/core/contactPolicy.ts';
import { dropText } from '../../src/core/reasons.ts';
import type { InteractionRecord } from '../../src/core/types.ts';
import { smallCatalog } from '../helpers.ts';

const NOW = Date.parse('2026-06-15T12:00:00Z');
const daysAgo = (d: number) => NOW - d * DAY_MS;

function rec(
  kind: InteractionRecord['kind'],
  actionId: string,
  at: number,
  channel = 'web',
): InteractionRecord {
  const group = actionId.startsWith('A') ? 'Cards' : actionId.startsWith('B') ? 'Loans' : 'Care';
  const issue = actionId.startsWith('R') ? 'Retention' : 'Sales';
  return { kind, actionId, issue, group, channel, at };
}

function blocked(catalog: Catalog, actionId: string, history: InteractionRecord[], channel = 'web') {
  return checkContactPolicies(
    catalog,
    catalog.actionsById.get(actionId)!,
    indexHistory(history),
    channel,
    NOW,
  );
}

describe('contact policies', () => {
  it('maxContacts per action counts contacts inside the window only', () => {
    const catalog = smallCatalog({
      contactPolicies: [{ id: 'cap', type: 'maxContacts', count: 2, days: 7 }],
    });
    const two = [rec('contact', 'A1', daysAgo(1)), rec('contact', 'A1', daysAgo(6))];
    expect(blocked(catalog, 'A1', two)?.policy).toBe('cap');
    expect(blocked(catalog, 'A2', two)).toBeUndefined();
    const oneOld = [rec('contact', 'A1', daysAgo(1)), rec('contact', 'A1', daysAgo(8))];
    expect(blocked(catalog, 'A1', oneOld)).toBeUndefined();
  });

  it('maxContacts per group, issue and customer count the right neighbours', () => {
    const history = [rec('contact', 'A1', daysAgo(1)), rec('contact', 'B1', daysAgo(1))];
    const policy = (scope: string) =>
      smallCatalog({ contactPolicies: [{ id: scope, type: 'maxContacts', scope, count: 2, days: 7 }] });
    expect(blocked(policy('group'), 'A2', history)).toBeUndefined(); // only A1 is in Cards
    expect(blocked(policy('issue'), 'A2', history)?.policy).toBe('issue'); // A1 + B1 are Sales
    expect(blocked(policy('issue'), 'R1', history)).toBeUndefined();
    expect(blocked(policy('customer'), 'R1', history)?.policy).toBe('customer');
    const group = [rec('contact', 'A1', daysAgo(1)), rec('contact', 'A2', daysAgo(2))];
    expect(blocked(policy('group'), 'A1', group)?.policy).toBe('group');
  });

  it('maxContacts can count impressions instead of decisions', () => {
    const catalog = smallCatalog({
      contactPolicies: [{ id: 'seen', type: 'maxContacts', count: 1, days: 7, countOn: 'impression' }],
    });
    expect(blocked(catalog, 'A1', [rec('contact', 'A1', daysAgo(1))])).toBeUndefined();
    expect(blocked(catalog, 'A1', [rec('impression', 'A1', daysAgo(1))])?.policy).toBe('seen');
  });

  it('channel-limited policies count and apply on their channels only', () => {
    const catalog = smallCatalog({
      contactPolicies: [
        { id: 'outbound', type: 'maxContacts', scope: 'customer', count: 1, days: 7, channels: ['email'] },
      ],
    });
    const webOnly = [rec('contact', 'A1', daysAgo(1), 'web')];
    expect(blocked(catalog, 'A2', webOnly, 'email')).toBeUndefined();
    const emailed = [rec('contact', 'A1', daysAgo(1), 'email')];
    expect(blocked(catalog, 'A2', emailed, 'email')?.policy).toBe('outbound');
    expect(blocked(catalog, 'A2', emailed, 'web')).toBeUndefined();
  });

  it('pauses after a rejection for the configured days', () => {
    const catalog = smallCatalog({ contactPolicies: [{ id: 'pause', type: 'pauseAfterReject', days: 14 }] });
    const block = blocked(catalog, 'A1', [rec('reject', 'A1', daysAgo(3))]);
    expect(block?.policy).toBe('pause');
    expect(block && dropText(block)).toMatch(/paused until 2026-06-26/);
    expect(block && dropText(block, 'de')).toMatch(/Pause bis 26\.06\.2026/);
    expect(blocked(catalog, 'A1', [rec('reject', 'A1', daysAgo(15))])).toBeUndefined();
    expect(blocked(catalog, 'A2', [rec('reject', 'A1', daysAgo(3))])).toBeUndefined();
  });

  it('group pause after rejection blocks the whole group', () => {
    const catalog = smallCatalog({
      contactPolicies: [
        { id: 'gp', type: 'pauseAfterReject', scope: 'group', days: 3, appliesTo: { issue: 'Sales' } },
      ],
    });
    expect(blocked(catalog, 'A2', [rec('reject', 'A1', daysAgo(1))])?.policy).toBe('gp');
    expect(blocked(catalog, 'B1', [rec('reject', 'A1', daysAgo(1))])).toBeUndefined();
  });

  it('stops after acceptance, forever or for a number of days', () => {
    const forever = smallCatalog({ contactPolicies: [{ id: 'once', type: 'stopAfterAccept' }] });
    expect(blocked(forever, 'A1', [rec('accept', 'A1', daysAgo(400))])?.policy).toBe('once');
    expect(blocked(forever, 'A1', [rec('convert', 'A1', daysAgo(2))])?.policy).toBe('once');
    expect(blocked(forever, 'A1', [rec('click', 'A1', daysAgo(2))])).toBeUndefined();
    const month = smallCatalog({ contactPolicies: [{ id: 'month', type: 'stopAfterAccept', days: 30 }] });
    expect(blocked(month, 'A1', [rec('accept', 'A1', daysAgo(10))])?.policy).toBe('month');
    expect(blocked(month, 'A1', [rec('accept', 'A1', daysAgo(31))])).toBeUndefined();
  });

  it('applies policies only to the actions they select', () => {
    const catalog = smallCatalog({
      contactPolicies: [{ id: 'ret', type: 'pauseAfterReject', days: 5, appliesTo: { issue: 'Retention' } }],
    });
    expect(blocked(catalog, 'A1', [rec('reject', 'A1', daysAgo(1))])).toBeUndefined();
    expect(blocked(catalog, 'R1', [rec('reject', 'R1', daysAgo(1))])?.policy).toBe('ret');
  });

  it('tells the engine how much history it needs', () => {
    expect(
      historyRequirement(
        smallCatalog({
          contactPolicies: [
            { id: 'a', type: 'maxContacts', count: 1, days: 30 },
            { id: 'b', type: 'pauseAfterReject', days: 90 },
            { id: 'c', type: 'stopAfterAccept' },
          ],
        }),
      ),
    ).toEqual({ days: 90, acceptsForever: true });
  });

  it('a cap counts the slots chosen before in the same decision, and only caps that count decisions', () => {
    const catalog = smallCatalog({
      contactPolicies: [
        { id: 'group', type: 'maxContacts', scope: 'group', count: 2, days: 7 },
        { id: 'shown', type: 'maxContacts', scope: 'customer', count: 1, days: 7, countOn: 'impression' },
      ],
    });
    const a1 = catalog.actionsById.get('A1')!;
    const a2 = catalog.actionsById.get('A2')!;
    const history = indexHistory([rec('contact', 'A2', daysAgo(1))]);
    expect(checkContactPolicies(catalog, a1, history, 'web', NOW)).toBeUndefined();
    expect(checkContactPolicies(catalog, a1, history, 'web', NOW, [a2])?.policy).toBe('group');
    // Other groups are not in the cap's scope; an impression cap is not reached by a decision.
    expect(
      checkContactPolicies(catalog, catalog.actionsById.get('B1')!, history, 'web', NOW, [a2, a1]),
    ).toBeUndefined();
  });

  it('a commit refuses the chosen actions a cap no longer allows, counting contacts logged meanwhile', () => {
    const catalog = smallCatalog({
      contactPolicies: [{ id: 'week', type: 'maxContacts', scope: 'customer', count: 2, days: 7 }],
    });
    expect(capViolations(capCheckOf(catalog, ['A1', 'B1'], 'web', NOW), [])).toEqual([]);
    expect(capViolations(capCheckOf(catalog, ['A1', 'B1', 'R1'], 'web', NOW), [])).toEqual(['R1']);
    // A contact another node logged a moment "later" than this decision's clock still counts.
    const meanwhile = [rec('contact', 'R1', NOW + 5)];
    expect(capViolations(capCheckOf(catalog, ['A1', 'B1'], 'web', NOW), meanwhile)).toEqual(['B1']);
    expect(
      capViolations(capCheckOf(catalog, ['A1'], 'web', NOW), [rec('contact', 'R1', daysAgo(8))]),
    ).toEqual([]);
  });
});
