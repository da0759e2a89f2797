// Reads for measurement and the dashboard on PostgreSQL: facts only (what they mean is src/measure/).
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
import type { PostgresStore } from './store.ts';

export async function recentDecisions(
  s: PostgresStore,
  limit: number,
): Promise<Array<Extract<TimelineEntry, { kind: 'decision' }> & { customerId: string | null }>> {
  const rows = await s.query<TimelineRow & { customer_id: string | null }>(
    `SELECT 'decision' AS kind, at, id AS k, id AS decision_id, NULL AS action_id, NULL AS type, channel, payload,
            NULL AS outcome, NULL::float8 AS value, arm, customer_id
     FROM decisions ORDER BY at DESC, id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({
    ...(toTimelineEntry(r) as Extract<TimelineEntry, { kind: 'decision' }>),
    customerId: r.customer_id,
  }));
}

export async function decisionCount(s: PostgresStore, from: number, to: number): Promise<number> {
  const [row] = await s.query<{ n: number }>(
    'SELECT count(*) AS n FROM decisions WHERE at >= $1 AND at < $2',
    [from, to],
  );
  return row!.n;
}

export async function nthLatestDecisionAt(
  s: PostgresStore,
  to: number,
  n: number,
): Promise<number | undefined> {
  const [row] = await s.query<{ at: number }>(
    'SELECT at FROM decisions WHERE at < $1 ORDER BY at DESC LIMIT 1 OFFSET $2',
    [to, n - 1],
  );
  return row?.at;
}

export async function decisionLog(s: PostgresStore, query: DecisionLogQuery): Promise<LoggedDecision[]> {
  const after = query.after ?? { at: query.from - 1, id: '' };
  const rows = await s.query<DecisionRow>(
    'SELECT * FROM decisions WHERE at >= $1 AND at < $2 AND (at, id) > ($3, $4) ORDER BY at, id LIMIT $5',
    [query.from, query.to, after.at, after.id, query.limit],
  );
  if (rows.length === 0) return [];
  const answers = await s.query<{ decisionId: string; actionId: string } & Record<ChoiceFlag, number>>(
    `SELECT decision_id AS "decisionId", action_id AS "actionId", ${CHOICE_FLAGS.join(', ')}
     FROM choices WHERE decision_id = ANY($1)`,
    [rows.map((r) => r.id)],
  );
  const byDecision = answersByDecision(answers);
  return rows.map((r) => ({ ...toDecision(r), answers: byDecision.get(r.id) ?? {} }));
}

// ---- timeline and journeys ------------------------------------------------------------------------------

export async function timeline(
  s: PostgresStore,
  query: TimelineQuery,
): Promise<{ entries: TimelineEntry[]; next?: TimelineCursor }> {
  const kinds = query.kinds ?? (['event', 'decision', 'outcome'] as const);
  const parts: string[] = [];
  const columns = (c: string[]) =>
    ['kind', 'at', 'k', 'decision_id', 'action_id', 'type', 'channel', 'payload', 'outcome', 'value', 'arm']
      .map((name, i) => `${c[i]} AS ${name}`)
      .join(', ');
  if (kinds.includes('event'))
    parts.push(
      `SELECT ${columns(["'event'", 'at', "lpad(seq::text, 20, '0')", 'NULL', 'NULL', 'type', 'channel', 'payload', 'NULL', 'NULL::float8', 'NULL'])}
       FROM events WHERE customer_id = $1`,
    );
  if (kinds.includes('decision'))
    parts.push(
      `SELECT ${columns(["'decision'", 'at', 'id', 'id', 'NULL', 'NULL', 'channel', 'payload', 'NULL', 'NULL::float8', 'arm'])}
       FROM decisions WHERE customer_id = $1`,
    );
  if (kinds.includes('outcome'))
    parts.push(
      `SELECT ${columns(["'outcome'", 'o.at', "lpad(o.seq::text, 20, '0')", 'o.decision_id', 'o.action_id', 'NULL', 'd.channel', 'NULL', 'o.outcome', 'o.value', 'NULL'])}
       FROM outcomes o LEFT JOIN decisions d ON d.id = o.decision_id WHERE o.customer_id = $1`,
    );
  if (parts.length === 0) return { entries: [] };
  const before = query.before;
  const values: unknown[] = [
    query.customerId,
    query.from ?? Number.MIN_SAFE_INTEGER,
    query.to ?? Number.MAX_SAFE_INTEGER,
    query.limit + 1,
  ];
  if (before) values.push(before.at, before.kind, before.key);
  const rows = await s.query<TimelineRow>(
    `SELECT * FROM (${parts.join(' UNION ALL ')}) t
     WHERE at >= $2 AND at < $3 ${before ? 'AND (at, kind, k) < ($5, $6, $7)' : ''}
     ORDER BY at DESC, kind DESC, k DESC LIMIT $4`,
    values,
  );
  const page = rows.slice(0, query.limit);
  const entries = page.map(toTimelineEntry);
  const last = page[page.length - 1];
  return rows.length > query.limit && last
    ? { entries, next: { at: last.at, kind: last.kind, key: last.k } }
    : { entries };
}

export async function contactCounts(
  s: PostgresStore,
  from: number,
  to: number,
): Promise<Array<{ channel: string; customerId: string; contacts: number }>> {
  return s.query(
    `SELECT channel, customer_id AS "customerId", count(*) AS contacts FROM choices
     WHERE at >= $1 AND at < $2 AND customer_id IS NOT NULL GROUP BY channel, customer_id`,
    [from, to],
  );
}

export async function triggerJourneys(
  s: PostgresStore,
  from: number,
  to: number,
): Promise<OutboundJourney[]> {
  const rows = await s.query<Omit<OutboundJourney, 'firstAt'> & Record<ChoiceFlag, number | null>>(
    `SELECT ob.trigger_id AS trigger, ob.channel, ob.status, ob.event_at AS "eventAt", ob.created_at AS "createdAt",
       ${CHOICE_FLAGS.map((f) => `min(o.at) FILTER (WHERE o.outcome = '${f}') AS ${f}`).join(', ')}
     FROM outbound ob LEFT JOIN outcomes o ON o.decision_id = ob.decision_id
     WHERE ob.created_at >= $1 AND ob.created_at < $2
     GROUP BY ob.id ORDER BY ob.created_at, ob.id`,
    [from, to],
  );
  return rows.map(toJourney);
}

export async function eventsWithLastAction(
  s: PostgresStore,
  type: string,
  from: number,
  to: number,
  attributionMs: number,
): Promise<Array<{ at: number; channel: string | null; payload: Attributes; actionId: string | null }>> {
  const rows = await s.query<{
    at: number;
    channel: string | null;
    payload: string;
    actionId: string | null;
  }>(
    `SELECT e.at, e.channel, e.payload,
       (SELECT c.action_id FROM choices c WHERE c.customer_id = e.customer_id AND c.at <= e.at AND c.at >= e.at - $1
        ORDER BY c.at DESC, c.rank ASC LIMIT 1) AS "actionId"
     FROM events e WHERE e.type = $2 AND e.at >= $3 AND e.at < $4 ORDER BY e.at, e.seq`,
    [attributionMs, type, from, to],
  );
  return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Attributes }));
}

// ---- reporting ------------------------------------------------------------------------------------------

export async function choiceTallies(
  s: PostgresStore,
  from: number,
  to: number,
  by: readonly KpiDimension[],
  bucketMs?: number,
): Promise<ChoiceTally[]> {
  const { dims, select, names } = tallyColumns(from, by, bucketMs);
  const group = [...names, ...CHOICE_FLAGS, 'valued'];
  const rows = await s.query<Record<string, number | string | boolean>>(
    `SELECT ${[...select, ''].join(', ')} ${CHOICE_FLAGS.join(', ')}, outcome_value <> 0 AS valued,
       count(*) AS offers, sum(value) AS value, sum(outcome_value) AS outcome_value
     FROM choices WHERE at >= $1 AND at < $2 GROUP BY ${group.join(', ')} ORDER BY ${group.join(', ')}`,
    [from, to],
  );
  return rows.map((r) => toTally(r, dims));
}

export async function decisionTallies(
  s: PostgresStore,
  from: number,
  to: number,
  by: readonly KpiDimension[],
  bucketMs?: number,
): Promise<Array<{ key: TallyKey; decisions: number }>> {
  const { dims, select, names } = tallyColumns(from, by, bucketMs);
  const rows = await s.query<Record<string, number | string>>(
    `SELECT ${[...select, ''].join(', ')} count(DISTINCT decision_id) AS decisions
     FROM choices WHERE at >= $1 AND at < $2 ${names.length > 0 ? `GROUP BY ${names.join(', ')}` : ''}`,
    [from, to],
  );
  return rows.map((r) => ({ key: tallyKey(r, dims), decisions: Number(r.decisions) }));
}

export async function choiceLog(s: PostgresStore, query: ChoiceLogQuery): Promise<ChoiceLogRow[]> {
  const after = query.after ?? { at: query.from - 1, decisionId: '', actionId: '' };
  const rows = await s.query<Omit<ChoiceLogRow, 'flags'> & Record<ChoiceFlag, number>>(
    `SELECT decision_id AS "decisionId", action_id AS "actionId", arm, channel, at, probability, propensity, value,
            ${CHOICE_FLAGS.join(', ')}
     FROM choices
     WHERE at >= $1 AND at < $2 AND ($3::text IS NULL OR action_id = $3)
       AND (at, decision_id, action_id) > ($4, $5, $6)
     ORDER BY at, decision_id, action_id LIMIT $7`,
    [query.from, query.to, query.actionId ?? null, after.at, after.decisionId, after.actionId, query.limit],
  );
  return rows.map(toChoiceLogRow);
}
