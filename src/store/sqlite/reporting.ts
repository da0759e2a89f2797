// Reads for measurement and the dashboard on SQLite: facts only (what they mean is src/measure/).
import type { Attributes } from '../../core/types.ts';
import {
  answersByDecision,
  type DecisionRow,
  type TimelineRow,
  tallyColumns,
  tallyKey,
  toChoiceLogRow,
  toDecision,
  toJourney,
  toTally,
  toTimelineEntry,
} from '../rows.ts';
import {
  CHOICE_FLAGS,
  type ChoiceFlag,
  type ChoiceLogQuery,
  type ChoiceLogRow,
  type ChoiceTally,
  type DecisionLogQuery,
  type KpiDimension,
  type LoggedDecision,
  type OutboundJourney,
  type TallyKey,
  type TimelineCursor,
  type TimelineEntry,
  type TimelineQuery,
} from '../store.ts';
import type { SqliteStore } from './store.ts';

export async function timeline(
  s: SqliteStore,
  query: TimelineQuery,
): Promise<{ entries: TimelineEntry[]; next?: TimelineCursor }> {
  const kinds = query.kinds ?? (['event', 'decision', 'outcome'] as const);
  const parts: string[] = [];
  // Every part names its columns: any of them may come first in the UNION.
  const columns = (c: string[]) =>
    ['kind', 'at', 'k', 'decision_id', 'action_id', 'type', 'channel', 'payload', 'outcome', 'value', 'arm']
      .map((name, i) => `${c[i]} AS ${name}`)
      .join(', ');
  if (kinds.includes('event'))
    parts.push(
      `SELECT ${columns(["'event'", 'at', "printf('%020d', seq)", 'NULL', 'NULL', 'type', 'channel', 'payload', 'NULL', 'NULL', 'NULL'])}
       FROM events WHERE customer_id = @id`,
    );
  if (kinds.includes('decision'))
    parts.push(
      `SELECT ${columns(["'decision'", 'at', 'id', 'id', 'NULL', 'NULL', 'channel', 'payload', 'NULL', 'NULL', 'arm'])}
       FROM decisions WHERE customer_id = @id`,
    );
  if (kinds.includes('outcome'))
    parts.push(
      `SELECT ${columns(["'outcome'", 'o.at', "printf('%020d', o.seq)", 'o.decision_id', 'o.action_id', 'NULL', 'd.channel', 'NULL', 'o.outcome', 'o.value', 'NULL'])}
       FROM outcomes o LEFT JOIN decisions d ON d.id = o.decision_id WHERE o.customer_id = @id`,
    );
  if (parts.length === 0) return { entries: [] };
  const before = query.before;
  const rows = s.db
    .prepare(
      `SELECT * FROM (${parts.join(' UNION ALL ')})
       WHERE at >= @from AND at < @to ${before ? 'AND (at, kind, k) < (@bAt, @bKind, @bKey)' : ''}
       ORDER BY at DESC, kind DESC, k DESC LIMIT @limit`,
    )
    .all({
      id: query.customerId,
      from: query.from ?? Number.MIN_SAFE_INTEGER,
      to: query.to ?? Number.MAX_SAFE_INTEGER,
      limit: query.limit + 1,
      ...(before ? { bAt: before.at, bKind: before.kind, bKey: before.key } : {}),
    }) as TimelineRow[];
  const page = rows.slice(0, query.limit);
  const entries = page.map(toTimelineEntry);
  const last = page[page.length - 1];
  return rows.length > query.limit && last
    ? { entries, next: { at: last.at, kind: last.kind, key: last.k } }
    : { entries };
}

export async function contactCounts(
  s: SqliteStore,
  from: number,
  to: number,
): Promise<Array<{ channel: string; customerId: string; contacts: number }>> {
  return s
    .sql(
      `SELECT channel, customer_id AS customerId, count(*) AS contacts FROM choices
     WHERE at >= ? AND at < ? AND customer_id IS NOT NULL GROUP BY channel, customer_id`,
    )
    .all(from, to) as Array<{ channel: string; customerId: string; contacts: number }>;
}

export async function triggerJourneys(s: SqliteStore, from: number, to: number): Promise<OutboundJourney[]> {
  const rows = s
    .sql(
      `SELECT ob.trigger_id AS trigger, ob.channel, ob.status, ob.event_at AS eventAt, ob.created_at AS createdAt,
       ${CHOICE_FLAGS.map(
         (f) =>
           `(SELECT min(o.at) FROM outcomes o WHERE o.decision_id = ob.decision_id AND o.outcome = '${f}') AS ${f}`,
       ).join(', ')}
     FROM outbound ob WHERE ob.created_at >= ? AND ob.created_at < ? ORDER BY ob.created_at, ob.id`,
    )
    .all(from, to) as Array<Omit<OutboundJourney, 'firstAt'> & Record<ChoiceFlag, number | null>>;
  return rows.map(toJourney);
}

export async function eventsWithLastAction(
  s: SqliteStore,
  type: string,
  from: number,
  to: number,
  attributionMs: number,
): Promise<Array<{ at: number; channel: string | null; payload: Attributes; actionId: string | null }>> {
  const rows = s
    .sql(
      `SELECT e.at, e.channel, e.payload,
       (SELECT c.action_id FROM choices c WHERE c.customer_id = e.customer_id AND c.at <= e.at AND c.at >= e.at - ?
        ORDER BY c.at DESC, c.rank ASC LIMIT 1) AS actionId
     FROM events e WHERE e.type = ? AND e.at >= ? AND e.at < ? ORDER BY e.at`,
    )
    .all(attributionMs, type, from, to) as Array<{
    at: number;
    channel: string | null;
    payload: string;
    actionId: string | null;
  }>;
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Attributes }));
}

export async function recentDecisions(
  s: SqliteStore,
  limit: number,
): Promise<Array<Extract<TimelineEntry, { kind: 'decision' }> & { customerId: string | null }>> {
  const rows = s
    .sql(
      `SELECT 'decision' AS kind, at, id AS k, id AS decision_id, NULL AS action_id, NULL AS type, channel, payload,
            NULL AS outcome, NULL AS value, arm, customer_id
     FROM decisions ORDER BY at DESC, id DESC LIMIT ?`,
    )
    .all(limit) as Array<TimelineRow & { customer_id: string | null }>;
  return rows.map((r) => ({
    ...(toTimelineEntry(r) as Extract<TimelineEntry, { kind: 'decision' }>),
    customerId: r.customer_id,
  }));
}

export async function decisionCount(s: SqliteStore, from: number, to: number): Promise<number> {
  const row = s.sql('SELECT count(*) AS n FROM decisions WHERE at >= ? AND at < ?').get(from, to) as {
    n: number;
  };
  return row.n;
}

export async function nthLatestDecisionAt(
  s: SqliteStore,
  to: number,
  n: number,
): Promise<number | undefined> {
  const row = s
    .sql('SELECT at FROM decisions WHERE at < ? ORDER BY at DESC LIMIT 1 OFFSET ?')
    .get(to, n - 1) as { at: number } | undefined;
  return row?.at;
}

export async function decisionLog(s: SqliteStore, query: DecisionLogQuery): Promise<LoggedDecision[]> {
  const after = query.after ?? { at: query.from - 1, id: '' };
  const rows = s
    .sql(`SELECT * FROM decisions WHERE at >= ? AND at < ? AND (at, id) > (?, ?) ORDER BY at, id LIMIT ?`)
    .all(query.from, query.to, after.at, after.id, query.limit) as DecisionRow[];
  if (rows.length === 0) return [];
  const answers = s
    .sql(
      `SELECT decision_id AS decisionId, action_id AS actionId, ${CHOICE_FLAGS.join(', ')}
     FROM choices WHERE decision_id IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(rows.map((r) => r.id))) as Array<
    { decisionId: string; actionId: string } & Record<ChoiceFlag, number>
  >;
  const byDecision = answersByDecision(answers);
  return rows.map((r) => ({ ...toDecision(r), answers: byDecision.get(r.id) ?? {} }));
}

export async function choiceTallies(
  s: SqliteStore,
  from: number,
  to: number,
  by: readonly KpiDimension[],
  bucketMs?: number,
): Promise<ChoiceTally[]> {
  const { dims, select, names } = tallyColumns(from, by, bucketMs);
  const group = [...names, ...CHOICE_FLAGS, 'valued'];
  const rows = s
    .sql(
      `SELECT ${[...select, ''].join(', ')} ${CHOICE_FLAGS.join(', ')}, outcome_value <> 0 AS valued,
       count(*) AS offers, sum(value) AS value, sum(outcome_value) AS outcome_value
     FROM choices WHERE at >= ? AND at < ? GROUP BY ${group.join(', ')} ORDER BY ${group.join(', ')}`,
    )
    .all(from, to) as Array<Record<string, number | string>>;
  return rows.map((r) => toTally(r, dims));
}

export async function decisionTallies(
  s: SqliteStore,
  from: number,
  to: number,
  by: readonly KpiDimension[],
  bucketMs?: number,
): Promise<Array<{ key: TallyKey; decisions: number }>> {
  const { dims, select, names } = tallyColumns(from, by, bucketMs);
  const rows = s
    .sql(
      `SELECT ${[...select, ''].join(', ')} count(DISTINCT decision_id) AS decisions
     FROM choices WHERE at >= ? AND at < ? ${names.length > 0 ? `GROUP BY ${names.join(', ')}` : ''}`,
    )
    .all(from, to) as Array<Record<string, number | string>>;
  return rows.map((r) => ({ key: tallyKey(r, dims), decisions: Number(r.decisions) }));
}

export async function choiceLog(s: SqliteStore, query: ChoiceLogQuery): Promise<ChoiceLogRow[]> {
  const after = query.after ?? { at: query.from - 1, decisionId: '', actionId: '' };
  return (
    s
      .sql(
        `SELECT decision_id AS decisionId, action_id AS actionId, arm, channel, at, probability, propensity, value,
            ${CHOICE_FLAGS.join(', ')}
     FROM choices
     WHERE at >= ? AND at < ? AND (? IS NULL OR action_id = ?)
       AND (at, decision_id, action_id) > (?, ?, ?)
     ORDER BY at, decision_id, action_id LIMIT ?`,
      )
      .all(
        query.from,
        query.to,
        query.actionId ?? null,
        query.actionId ?? null,
        after.at,
        after.decisionId,
        after.actionId,
        query.limit,
      ) as Array<Omit<ChoiceLogRow, 'flags'> & Record<ChoiceFlag, number>>
  ).map(toChoiceLogRow);
}
