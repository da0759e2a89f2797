// Row shapes shared by the SQL dialects (same table and column names) and their mapping to records.
import type { Arm } from '../core/arms.ts';
import type { Attributes, RecordedOutcome } from '../core/types.ts';
import {
  CHOICE_FLAGS,
  type ChoiceFlag,
  type ChoiceFlags,
  type DecisionRecord,
  type OutcomeRecord,
  type StoredCatalog,
  type TimelineEntry,
  type TimelineKind,
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

export interface OutboundRow {
  id: number;
  attempts: number;
  last_error: string | null;
  message: string;
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
  const rest = JSON.parse(row.payload) as Omit<
    DecisionRecord,
    'id' | 'customerId' | 'channel' | 'at' | 'catalogVersion' | 'modelVersion' | 'arm'
  >;
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
