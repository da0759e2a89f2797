// Customer profiles, their erasure and export, timelines and derived features.

import { featureValues } from '../core/events.ts';
import { matchesType } from '../core/rules.ts';
import type { Attributes, Customer, InteractionRecord } from '../core/types.ts';
import type {
  AuditOf,
  CustomerOutbound,
  DecisionRecord,
  ErasureReport,
  OutcomeRecord,
  TimelineCursor,
  TimelineEntry,
  TimelineKind,
} from '../store/store.ts';
import type { EngineContext } from './context.ts';
import { EngineError } from './errors.ts';

/** Whether an erasure found nothing to remove (an unknown customer). */
const erasedNothing = (r: ErasureReport) =>
  !r.customer && r.decisions === 0 && r.interactions === 0 && r.events === 0 && r.outcomes === 0;

export class Customers {
  constructor(private readonly c: EngineContext) {}

  /** Checks declared attributes against the catalog schema; undeclared attributes are kept as they are. */
  validateAttributes(attributes: Attributes, field: string): void {
    const declared = this.c.catalogs.catalog.ruleSchema.customer;
    for (const [name, value] of Object.entries(attributes)) {
      const type = declared[name];
      if (!type || value === null) continue;
      if (!matchesType(value, type)) throw new EngineError('invalid', `${field}.${name}`, `expected ${type}`);
    }
  }

  async putCustomer(id: string, attributes: Attributes) {
    this.validateAttributes(attributes, 'body.attributes');
    const result = await this.c.store.putCustomer(id, attributes, this.c.clock());
    this.c.profiles.remember(id, attributes);
    return result;
  }

  async getCustomer(id: string): Promise<Customer> {
    const customer = await this.c.store.getCustomer(id);
    if (!customer) throw new EngineError('not_found', 'params.id', `unknown customer '${id}'`);
    return customer;
  }

  /** GDPR erasure; `audit` records what was removed, in the erasure's transaction (nothing removed: no entry). */
  async deleteCustomer(id: string, audit?: AuditOf<ErasureReport>): Promise<ErasureReport> {
    this.c.profiles.forget(id);
    const report = await this.c.store.deleteCustomer(id, (r) => (erasedNothing(r) ? undefined : audit?.(r)));
    if (erasedNothing(report)) {
      throw new EngineError('not_found', 'params.id', `unknown customer '${id}'`);
    }
    return report;
  }

  /**
   * A customer's timeline page: events, decisions and outcomes, newest first. The cursor is opaque to callers
   * (base64url of the last entry's position).
   */
  async timeline(
    customerId: string,
    query: { limit: number; before?: string | undefined; kinds?: TimelineKind[]; from?: number; to?: number },
  ): Promise<{ entries: TimelineEntry[]; next: string | null }> {
    let before: TimelineCursor | undefined;
    if (query.before !== undefined) {
      try {
        const [at, kind, key] = JSON.parse(
          Buffer.from(query.before, 'base64url').toString('utf8'),
        ) as unknown[];
        if (
          typeof at !== 'number' ||
          typeof key !== 'string' ||
          !['event', 'decision', 'outcome'].includes(kind as string)
        )
          throw new Error('bad cursor');
        before = { at, kind: kind as TimelineKind, key };
      } catch {
        throw new EngineError('invalid', 'querystring.before', 'not a cursor this API returned');
      }
    }
    const page = await this.c.store.timeline({
      customerId,
      limit: query.limit,
      ...(before ? { before } : {}),
      ...(query.kinds ? { kinds: query.kinds } : {}),
      ...(query.from !== undefined ? { from: query.from } : {}),
      ...(query.to !== undefined ? { to: query.to } : {}),
    });
    if (page.entries.length === 0 && !before && !(await this.c.store.getCustomer(customerId)))
      throw new EngineError('not_found', 'params.id', `unknown customer '${customerId}'`);
    const next = page.next
      ? Buffer.from(JSON.stringify([page.next.at, page.next.kind, page.next.key])).toString('base64url')
      : null;
    return { entries: page.entries, next };
  }

  /** A customer's derived features now (what rules see as `features.*`). */
  async customerFeatures(customerId: string): Promise<Attributes> {
    const config = this.c.catalogs.catalog.definition.events;
    return featureValues(config, await this.c.store.featureState(customerId), this.c.clock());
  }

  /**
   * Everything held about a customer, as one document (GDPR right of access): the profile, derived features,
   * events, every decision with its candidates and the reasons actions were dropped, outcomes, the contact
   * history and outbound messages. An erasure removes all of it; then there is nothing to export (404).
   */
  async exportCustomer(customerId: string): Promise<CustomerExport> {
    const store = this.c.store;
    const customer = await store.getCustomer(customerId);
    const entries: TimelineEntry[] = [];
    let before: TimelineCursor | undefined;
    do {
      const page = await store.timeline({ customerId, limit: 500, ...(before ? { before } : {}) });
      entries.push(...page.entries);
      before = page.next;
    } while (before);
    if (!customer && entries.length === 0)
      throw new EngineError('not_found', 'params.id', `unknown customer '${customerId}' (nothing is held)`);
    const decisions: DecisionRecord[] = [];
    for (const e of entries) {
      if (e.kind !== 'decision') continue;
      const d = await store.getDecision(e.decisionId);
      if (d) decisions.push(d);
    }
    decisions.sort((a, b) => a.at - b.at);
    const outcomes = await Promise.all(decisions.map((d) => store.outcomesForDecision(d.id)));
    return {
      customerId,
      exportedAt: this.c.clock(),
      profile: customer ?? null,
      features: await this.customerFeatures(customerId),
      events: entries.filter((e) => e.kind === 'event').reverse(),
      decisions: decisions.map((d, i) => ({ ...d, outcomes: outcomes[i] ?? [] })),
      interactions: await store.loadHistory(customerId, 0, true),
      outbound: await store.outboundForCustomer(customerId),
    };
  }
}

export interface CustomerExport {
  customerId: string;
  exportedAt: number;
  profile: Customer | null;
  features: Attributes;
  events: TimelineEntry[];
  decisions: Array<DecisionRecord & { outcomes: OutcomeRecord[] }>;
  interactions: InteractionRecord[];
  outbound: CustomerOutbound[];
}
