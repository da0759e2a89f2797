// Row shapes shared by the SQL dialects (same table and column names) and their mapping to records.

import type { Arm } from '../core/arms.ts';
import type { CustomerEvent, CustomerFeatureState } from '../core/events.ts';
import type { Attributes, Customer, InteractionRecord, RecordedOutcome } from '../core/types.ts';
import { decodePayload } from './decisionPayload.ts';
import {
  CHOICE_FLAGS,
  type ChoiceFlag,
  type ChoiceFlags,
  type ChoiceLogRow,
  type ChoiceTally,
  type CustomerOutbound,
  type DecisionRecord,
  type FoldOutcome,
  type KpiDimension,
  type OutboundItem,
  type OutboundJourney,
  type OutboundMessage,
  type OutboundStatus,
  type OutcomeRecord,
  type StoredCatalog,
  type TallyKey,
  type TimelineEntry,
  type TimelineKind,
  type TriggerJob,
} from './store.ts';

export interface TimelineRow {
  kind: TimelineKind;
  at: number;
  k: string;
  decision_id: string | null;
  action_id: string | null;
  type: string | null;
  channel: string | null;
  payload: string | null;
  outcome: string | null;
  value: number | null;
  arm: string | null;
}

export function toTimelineEntry(row: TimelineRow): TimelineEntry {
  switch (row.kind) {
    case 'event':
      return {
        kind: 'event',
        at: row.at,
        seq: Number(row.k),
        type: row.type!,
        channel: row.channel,
        payload: JSON.parse(row.payload!) as Attributes,
      };
    case 'decision': {
      const rest = JSON.parse(row.payload!) as Pick<DecisionRecord, 'chosen' | 'trigger'>;
      return {
        kind: 'decision',
        at: row.at,
        decisionId: row.decision_id!,
        channel: row.channel!,
        arm: row.arm as Arm,
        actions: rest.chosen.map((c) => c.actionId),
        ...(rest.trigger ? { trigger: rest.trigger } : {}),
      };
    }
    case 'outcome':
      return {
        kind: 'outcome',
        at: row.at,
        seq: Number(row.k),
        decisionId: row.decision_id!,
        actionId: row.action_id!,
        outcome: row.outcome as RecordedOutcome,
        value: row.value,
        channel: row.channel,
      };
  }
}

/** A customer's outbound message, as both dialects select it (`CUSTOMER_OUTBOUND_SELECT`). */
export interface CustomerOutboundRow {
  id: number | string;
  decision_id: string;
  channel: string;
  status: string;
  created_at: number | string;
  done_at: number | string | null;
  message: string;
}

export const CUSTOMER_OUTBOUND_SELECT = (placeholder: string) =>
  `SELECT id, decision_id, channel, status, created_at, done_at, message FROM outbound WHERE customer_id = ${placeholder} ORDER BY id`;

export function toCustomerOutbound(r: CustomerOutboundRow): CustomerOutbound {
  return {
    id: Number(r.id),
    decisionId: r.decision_id,
    channel: r.channel,
    status: r.status as OutboundStatus,
    createdAt: Number(r.created_at),
    doneAt: r.done_at === null ? null : Number(r.done_at),
    message: JSON.parse(r.message) as unknown,
  };
}

export interface OutboundRow {
  id: number;
  attempts: number;
  last_error: string | null;
  message: string;
}

/** An outbound row as the claimant receives it, claimed now with `claimToken` until `leaseUntil`. */
export function toClaimedItem(row: OutboundRow, claimToken: string, leaseUntil: number): OutboundItem {
  return {
    ...(JSON.parse(row.message) as OutboundMessage),
    id: row.id,
    status: 'claimed',
    attempts: row.attempts + 1,
    claimToken,
    leaseUntil,
    lastError: row.last_error,
  };
}

export interface OutcomeRow {
  seq: number;
  decision_id: string;
  action_id: string;
  outcome: string;
  value: number | null;
  at: number;
  learned: number;
  corrects: number;
}

export function toOutcome(row: OutcomeRow): OutcomeRecord {
  return {
    seq: row.seq,
    decisionId: row.decision_id,
    actionId: row.action_id,
    outcome: row.outcome as RecordedOutcome,
    ...(row.value === null ? {} : { value: row.value }),
    at: row.at,
    learned: row.learned === 1,
    corrects: row.corrects,
  };
}

export interface CatalogRow {
  version: number;
  hash: string;
  source: string;
  created_at: number;
  active: number;
}

export function toCatalog(row: CatalogRow): StoredCatalog {
  return {
    version: row.version,
    hash: row.hash,
    source: row.source,
    createdAt: row.created_at,
    active: row.active === 1,
  };
}

/** A catalog version as listed (without its source). */
export function toCatalogInfo(row: Omit<CatalogRow, 'source'>): Omit<StoredCatalog, 'source'> {
  return { version: row.version, hash: row.hash, createdAt: row.created_at, active: row.active === 1 };
}

export interface CustomerRow {
  id: string;
  attributes: string;
  created_at: number;
  updated_at: number;
}

export function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    attributes: JSON.parse(row.attributes) as Attributes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface DecisionRow {
  id: string;
  customer_id: string | null;
  channel: string;
  at: number;
  catalog_version: number;
  model_version: string;
  arm: Arm;
  payload: string;
}

export function toDecision(row: DecisionRow): DecisionRecord {
  const rest = decodePayload(row.payload);
  return {
    id: row.id,
    customerId: row.customer_id,
    channel: row.channel,
    at: row.at,
    catalogVersion: row.catalog_version,
    modelVersion: row.model_version,
    arm: row.arm,
    ...rest,
  };
}

export const DAY = 86_400_000;

/** A choices row's flag columns (0/1) as booleans. */
export function flagsOf(row: Record<ChoiceFlag, number>): ChoiceFlags {
  const flags = {} as ChoiceFlags;
  for (const f of CHOICE_FLAGS) flags[f] = Number(row[f]) === 1;
  return flags;
}

/** The grouping columns of a tally query (`day`: the UTC day number; `bucket`: the bucket's start). */
export function tallyColumns(from: number, by: readonly KpiDimension[], bucketMs?: number) {
  const dims: ReadonlyArray<KpiDimension | 'bucket'> = bucketMs ? [...by, 'bucket'] : by;
  const step = Math.max(1, Math.floor(bucketMs ?? 1));
  const start = Math.floor(from);
  const columns: Record<KpiDimension | 'bucket', string> = {
    bucket: `(at - ${start}) / ${step} * ${step} + ${start}`,
    action: 'action_id',
    group: "issue || '/' || grp",
    issue: 'issue',
    channel: 'channel',
    arm: 'arm',
    day: `at / ${DAY}`,
  };
  return { dims, select: dims.map((d, i) => `${columns[d]} AS k${i}`), names: dims.map((_, i) => `k${i}`) };
}

/** A tally row (grouping keys k0…, the flag columns, sums) as a ChoiceTally. */
export function toTally(
  r: Record<string, unknown>,
  dims: ReadonlyArray<KpiDimension | 'bucket'>,
): ChoiceTally {
  return {
    key: tallyKey(r, dims),
    flags: flagsOf(r as Record<ChoiceFlag, number>),
    valued: r.valued === true || Number(r.valued) === 1,
    offers: Number(r.offers),
    value: Number(r.value),
    outcomeValue: Number(r.outcome_value),
  };
}

/** The grouping key of a tally row. */
export function tallyKey(r: Record<string, unknown>, dims: ReadonlyArray<KpiDimension | 'bucket'>): TallyKey {
  return Object.fromEntries(dims.map((d, i) => [d, String(r[`k${i}`])]));
}

/** A choices row as a choice-log row (flag columns as booleans). */
export function toChoiceLogRow(r: Omit<ChoiceLogRow, 'flags'> & Record<ChoiceFlag, number>): ChoiceLogRow {
  return {
    decisionId: r.decisionId,
    actionId: r.actionId,
    arm: r.arm,
    channel: r.channel,
    at: r.at,
    probability: r.probability,
    propensity: r.propensity,
    value: r.value,
    flags: flagsOf(r),
  };
}

/** Choice rows of several decisions grouped by decision: what happened to each chosen action. */
export function answersByDecision(
  rows: ReadonlyArray<{ decisionId: string; actionId: string } & Record<ChoiceFlag, number>>,
): Map<string, Record<string, ChoiceFlags>> {
  const byDecision = new Map<string, Record<string, ChoiceFlags>>();
  for (const r of rows) {
    const m = byDecision.get(r.decisionId) ?? {};
    m[r.actionId] = flagsOf(r);
    byDecision.set(r.decisionId, m);
  }
  return byDecision;
}

/** An outbound row with its first time per outcome type (columns named after the flags) as a journey. */
export function toJourney(
  r: Omit<OutboundJourney, 'firstAt'> & Record<ChoiceFlag, number | null>,
): OutboundJourney {
  const firstAt: OutboundJourney['firstAt'] = {};
  for (const f of CHOICE_FLAGS) if (r[f] !== null) firstAt[f] = Number(r[f]);
  return {
    trigger: r.trigger,
    channel: r.channel,
    status: r.status,
    eventAt: r.eventAt,
    createdAt: r.createdAt,
    firstAt,
  };
}

export interface InteractionRow {
  kind: InteractionRecord['kind'];
  action_id: string;
  issue: string;
  grp: string;
  channel: string;
  at: number;
}

/**
 * A customer's contact history since a time, and with `acceptsForever` also every earlier accept or conversion
 * ("accepted ever" policies); `p(1)` is the customer id's placeholder, `p(2)` the time's. Two indexed reads
 * (the customer's recent rows; their older accepts by a partial index), so that a decision reads a bounded
 * history however long the customer has been contacted.
 */
export function historySql(p: (n: number) => string, acceptsForever: boolean): string {
  const columns = 'SELECT kind, action_id, issue, grp, channel, at, id FROM interactions';
  const recent = `${columns} WHERE customer_id = ${p(1)} AND at >= ${p(2)}`;
  if (!acceptsForever) return `${recent} ORDER BY at, id`;
  return `${recent} UNION ALL ${columns}
    WHERE customer_id = ${p(1)} AND at < ${p(2)} AND kind IN ('accept', 'convert') ORDER BY at, id`;
}

export function toInteraction(r: InteractionRow): InteractionRecord {
  return { kind: r.kind, actionId: r.action_id, issue: r.issue, group: r.grp, channel: r.channel, at: r.at };
}

export interface TriggerJobRow {
  id: number;
  event_seq: number;
  trigger_id: string;
  customer_id: string;
  event: string;
  features: string;
  created_at: number;
}

export function toTriggerJob(r: TriggerJobRow): TriggerJob {
  return {
    id: r.id,
    eventSeq: r.event_seq,
    trigger: r.trigger_id,
    customerId: r.customer_id,
    event: JSON.parse(r.event) as TriggerJob['event'],
    features: JSON.parse(r.features) as Attributes,
    createdAt: r.created_at,
  };
}

/**
 * The order the stored models learned outcomes in (`o`: the outcomes table): by fold, then sequence number;
 * those not folded yet last. A rebuild replays the log in it, so that it rebuilds the models that were stored.
 */
export const FOLD_ORDER = 'ORDER BY o.folded = 0, o.folded, o.seq';

/**
 * The outcomes the stored models learned (`o`: the outcomes table): the learned ones, and the expiries a late
 * positive took back after a fold had taught them (no longer learned, but the models saw them, then unlearned
 * them with the positive).
 */
export const STORED_HISTORY = '(o.learned = 1 OR o.folded > 0)';

/**
 * A logged decision (`d`) that retention may delete: none of its outcomes is learned but not yet folded into the
 * stored models (the fold would lose it), and none of its outbound messages is still to be delivered.
 */
export const SWEEPABLE_DECISION = `NOT EXISTS (SELECT 1 FROM outcomes o
    WHERE o.decision_id = d.id AND o.learned = 1 AND o.folded = 0)
  AND NOT EXISTS (SELECT 1 FROM outbound m WHERE m.decision_id = d.id AND m.status IN ('pending', 'claimed'))`;

/** Outcomes (`o`) with their decision's payload and whether the expiry each corrects was folded (`toFoldOutcome`). */
export const LEARNED_OUTCOMES = `SELECT o.*, d.payload AS payload, coalesce(c.folded, 0) AS corrects_folded
  FROM outcomes o JOIN decisions d ON d.id = o.decision_id
    LEFT JOIN outcomes c ON c.seq = o.corrects AND o.corrects > 0`;

/** An outcome row joined with its decision's payload (and fold flags) as a learned outcome. */
export function toFoldOutcome(
  r: OutcomeRow & { payload: string; folded?: number; corrects_folded?: number },
): FoldOutcome {
  return {
    ...toOutcome(r),
    features: (JSON.parse(r.payload) as Pick<DecisionRecord, 'features'>).features,
    foldedIn: Number(r.folded ?? 0),
    correctsFolded: Number(r.corrects_folded ?? 0) > 0,
  };
}

/** An events row as the store reads it to rebuild feature states. */
export interface EventRow {
  seq: number;
  customer_id: string;
  type: string;
  at: number;
  channel: string | null;
  payload: string;
}

/** Where the next page of events (ordered by customer, time, seq) starts. */
export type EventCursor = [customerId: string, at: number, seq: number];

export const FIRST_EVENT: EventCursor = ['', Number.MIN_SAFE_INTEGER, 0];

/**
 * Replays events, ordered by customer, time and seq and read page by page, into each customer's feature state;
 * `done` receives each customer's state (JSON) once their events are all applied.
 */
export class FeatureReplay {
  private current: string | undefined;
  private state: CustomerFeatureState = {};
  /** Events replayed so far. */
  count = 0;

  constructor(
    private readonly apply: (state: CustomerFeatureState, event: CustomerEvent) => void,
    private readonly done: (customerId: string, state: string) => void,
  ) {}

  /** Applies a page; returns the cursor after it, or undefined when the page was empty (the end). */
  page(rows: readonly EventRow[]): EventCursor | undefined {
    for (const row of rows) {
      if (row.customer_id !== this.current) {
        this.finish();
        this.current = row.customer_id;
      }
      this.apply(this.state, {
        customerId: row.customer_id,
        type: row.type,
        at: row.at,
        channel: row.channel ?? undefined,
        payload: JSON.parse(row.payload) as Attributes,
      });
      this.count++;
    }
    const last = rows[rows.length - 1];
    return last && [last.customer_id, last.at, last.seq];
  }

  /** Hands over the last customer's state. */
  finish(): void {
    if (this.current !== undefined) this.done(this.current, JSON.stringify(this.state));
    this.current = undefined;
    this.state = {};
  }
}
