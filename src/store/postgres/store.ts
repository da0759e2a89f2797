// PostgreSQL adapter (pg): the store several nextbest processes share. Every write is one transaction on a
// pooled connection, committed (and so durable, with PostgreSQL's default synchronous_commit) before the call
// returns. Limits and claims take row locks or transaction-scoped advisory locks; claims skip rows other
// processes hold (FOR UPDATE SKIP LOCKED).

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { CustomerEvent, CustomerFeatureState } from '../../core/events.ts';
import type { Attributes, BudgetUsage, Customer, InteractionRecord } from '../../core/types.ts';
import { readMigrations } from '../migrations.ts';
import {
  answersByDecision,
  type CatalogRow,
  DAY,
  type DecisionRow,
  type InteractionRow,
  type OutboundRow,
  type OutcomeRow,
  type TimelineRow,
  type TriggerJobRow,
  tallyColumns,
  tallyKey,
  toCatalog,
  toChoiceLogRow,
  toDecision,
  toFoldOutcome,
  toInteraction,
  toJourney,
  toOutcome,
  toTally,
  toTimelineEntry,
  toTriggerJob,
} from '../rows.ts';
import {
  CHOICE_FLAGS,
  type ChoiceFlag,
  type ChoiceLogQuery,
  type ChoiceLogRow,
  type ChoiceTally,
  type ClaimQuery,
  type CommitResult,
  type DecisionCommit,
  type DecisionLogQuery,
  type DecisionRecord,
  type ErasureReport,
  type FoldResult,
  type KpiDimension,
  type LearnedOutcome,
  type LoggedDecision,
  type ModelFold,
  type NewOutcome,
  type OpenChoice,
  type OutboundItem,
  type OutboundJourney,
  type OutboundMessage,
  type OutboundSettle,
  type OutboundStatus,
  type OutcomeRecord,
  type Store,
  type StoredCatalog,
  type StoredModel,
  type TallyKey,
  type TimelineCursor,
  type TimelineEntry,
  type TimelineQuery,
  type TriggerJob,
  type TriggerJobInput,
} from '../store.ts';

const MIGRATIONS = readMigrations(new URL('./migrations/', import.meta.url));

/** Every table the migrations create. */
const TABLES = [
  'customers',
  'catalogs',
  'decisions',
  'outcomes',
  'interactions',
  'budget_usage',
  'models',
  'settings',
  'choices',
  'events',
  'customer_features',
  'outbound',
  'trigger_jobs',
];

/** Advisory lock keys (two 32-bit halves: this application's, then the purpose). */
const LOCK_APP = 0x6e6278; // "nbx"
const LOCK_MIGRATE = 1;
const LOCK_FOLD = 2;
const LOCK_CATALOG = 3;
const LOCK_FEATURES = 4;
const LOCK_CUSTOMER = 11;
const LOCK_CHOICE = 12;
const LOCK_BUDGET = 13;

/** Counts one choice of an action on a day (a reservation appends its condition). */
const COUNT_CHOICE = `INSERT INTO budget_usage (action_id, day, count) VALUES ($1, $2, 1)
  ON CONFLICT (action_id, day) DO UPDATE SET count = budget_usage.count + 1`;

/** BIGINT and NUMERIC (counts, sums) as numbers: epoch milliseconds and counts fit a double exactly. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

type Client = pg.PoolClient;

/** Errors worth running the transaction again for: serialization failures and deadlocks. */
const RETRYABLE = new Set(['40001', '40P01']);

export interface PostgresOptions {
  /** A schema of its own (created when missing): tests and several deployments on one database. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

export class PostgresStore implements Store {
  readonly pool: pg.Pool;
  readonly schema: string;

  /** `url`: a postgres:// connection string; `?schema=name` selects a schema of its own. */
  constructor(url: string, options: PostgresOptions = {}) {
    const parsed = new URL(url);
    const schema = options.schema ?? parsed.searchParams.get('schema') ?? 'public';
    parsed.searchParams.delete('schema');
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema '${schema}': use a-z, 0-9 and _`);
    this.schema = schema;
    this.pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: options.poolSize ?? 10,
      types,
      options: `-c search_path=${schema}`,
    });
    // An idle connection that breaks (server restart) must not take the process down.
    this.pool.on('error', (error) => console.error('postgres connection error:', error.message));
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  /** Runs `fn` in one transaction; serialization failures and deadlocks run it again (a few times). */
  private async tx<T>(
    fn: (c: Client) => Promise<T>,
    isolation: 'READ COMMITTED' | 'REPEATABLE READ' = 'READ COMMITTED',
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      try {
        await c.query(`BEGIN ISOLATION LEVEL ${isolation}`);
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (error) {
        await c.query('ROLLBACK').catch(() => undefined);
        if (attempt < 5 && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
        throw error;
      } finally {
        c.release();
      }
    }
  }

  async init(): Promise<void> {
    const c = await this.pool.connect();
    try {
      // One migrating process at a time; the others wait and then find nothing left to do.
      await c.query('SELECT pg_advisory_lock($1, $2)', [LOCK_APP, LOCK_MIGRATE]);
      try {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await c.query(
          'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
        );
        const done = (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows;
        const current = done.length === 0 ? 0 : Math.max(...done.map((r) => r.version));
        if (current > MIGRATIONS.length)
          throw new Error(
            `database schema version ${current} is newer than this nextbest (${MIGRATIONS.length})`,
          );
        for (const m of MIGRATIONS.slice(current)) {
          await c.query('BEGIN');
          try {
            await c.query(m.sql);
            await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
              m.version,
              m.name,
              Date.now(),
            ]);
            await c.query('COMMIT');
          } catch (error) {
            await c.query('ROLLBACK');
            throw error;
          }
        }
      } finally {
        await c.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_APP, LOCK_MIGRATE]);
      }
    } finally {
      c.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /** Drops nextbest's tables from the schema (a fresh start; other tables are left alone). */
  async dropTables(): Promise<void> {
    await this.pool.query(`DROP TABLE IF EXISTS ${[...TABLES, 'schema_migrations'].join(', ')} CASCADE`);
  }

  // ---- customers ------------------------------------------------------------------------------------------

  async getCustomer(id: string): Promise<Customer | undefined> {
    const [row] = await this.query<{
      id: string;
      attributes: string;
      created_at: number;
      updated_at: number;
    }>('SELECT * FROM customers WHERE id = $1', [id]);
    if (!row) return undefined;
    return {
      id: row.id,
      attributes: JSON.parse(row.attributes) as Attributes,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async putCustomer(id: string, attributes: Attributes, now: number) {
    // xmax = 0 only on a row this statement inserted.
    const [row] = await this.query<{ created_at: number; created: boolean }>(
      `INSERT INTO customers (id, attributes, created_at, updated_at) VALUES ($1, $2, $3, $3)
       ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at
       RETURNING created_at, (xmax = 0) AS created`,
      [id, JSON.stringify(attributes), now],
    );
    return {
      customer: { id, attributes, createdAt: row!.created_at, updatedAt: now },
      created: row!.created,
    };
  }

  async deleteCustomer(id: string): Promise<ErasureReport> {
    return this.tx(async (c) => {
      const count = async (sql: string) => (await c.query(sql, [id])).rowCount ?? 0;
      const outcomes = await count(
        'DELETE FROM outcomes WHERE customer_id = $1 OR decision_id IN (SELECT id FROM decisions WHERE customer_id = $1)',
      );
      await count('DELETE FROM choices WHERE customer_id = $1');
      const decisions = await count('DELETE FROM decisions WHERE customer_id = $1');
      const interactions = await count('DELETE FROM interactions WHERE customer_id = $1');
      const events = await count('DELETE FROM events WHERE customer_id = $1');
      await count('DELETE FROM outbound WHERE customer_id = $1');
      await count('DELETE FROM trigger_jobs WHERE customer_id = $1');
      await count('DELETE FROM customer_features WHERE customer_id = $1');
      const customer = (await count('DELETE FROM customers WHERE id = $1')) > 0;
      return { customer, decisions, outcomes, interactions, events };
    });
  }

  async countCustomers(): Promise<number> {
    const [row] = await this.query<{ n: number }>('SELECT count(*) AS n FROM customers');
    return row!.n;
  }

  // ---- events and features --------------------------------------------------------------------------------

  async appendEvents(
    events: readonly CustomerEvent[],
    receivedAt: number,
    apply: (state: CustomerFeatureState, event: CustomerEvent) => readonly TriggerJobInput[] | undefined,
    setting?: { key: string; value: string },
  ): Promise<{ seqs: number[]; jobs: TriggerJob[] }> {
    return this.tx(async (c) => {
      // A rebuild of every state takes this lock exclusively; appends share it.
      await c.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [LOCK_APP, LOCK_FEATURES]);
      if (setting) await putSetting(c, setting.key, setting.value);
      if (events.length === 0) return { seqs: [], jobs: [] };
      // Sequence numbers drawn in order first, so each event's number is known without relying on the order
      // RETURNING gives rows in.
      const seqs = (
        await c.query<{ seq: number }>(
          "SELECT nextval('events_seq_seq') AS seq FROM generate_series(1, $1)",
          [events.length],
        )
      ).rows.map((r) => r.seq);
      await c.query(
        `INSERT INTO events (seq, customer_id, type, at, channel, payload, received_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])`,
        [
          seqs,
          events.map((e) => e.customerId),
          events.map((e) => e.type),
          events.map((e) => e.at),
          events.map((e) => e.channel ?? null),
          events.map((e) => JSON.stringify(e.payload)),
          events.map(() => receivedAt),
        ],
      );
      // Each customer's state row is locked (created first when missing, in a fixed order against deadlocks),
      // so concurrent writers apply their events one after the other and never lose an update.
      const ids = [...new Set(events.map((e) => e.customerId))].sort();
      await c.query(
        "INSERT INTO customer_features (customer_id, state) SELECT unnest($1::text[]), '{}' ON CONFLICT DO NOTHING",
        [ids],
      );
      const states = new Map<string, CustomerFeatureState>();
      for (const r of (
        await c.query<{ customer_id: string; state: string }>(
          'SELECT customer_id, state FROM customer_features WHERE customer_id = ANY($1) ORDER BY customer_id FOR UPDATE',
          [ids],
        )
      ).rows)
        states.set(r.customer_id, JSON.parse(r.state) as CustomerFeatureState);
      const fired: Array<{ eventSeq: number; e: CustomerEvent; job: TriggerJobInput }> = [];
      events.forEach((e, i) => {
        let state = states.get(e.customerId);
        if (!state) {
          state = {};
          states.set(e.customerId, state);
        }
        for (const job of apply(state, e) ?? []) fired.push({ eventSeq: seqs[i]!, e, job });
      });
      const jobs: TriggerJob[] = [];
      if (fired.length > 0) {
        const eventOf = (e: CustomerEvent) => ({
          type: e.type,
          at: e.at,
          ...(e.channel ? { channel: e.channel } : {}),
          payload: e.payload,
        });
        const ids = (
          await c.query<{ id: number }>(
            `INSERT INTO trigger_jobs (event_seq, trigger_id, customer_id, event, features, created_at)
             SELECT a, b, c, d, e, f
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
               WITH ORDINALITY AS t(a, b, c, d, e, f, n) ORDER BY n
             RETURNING id`,
            [
              fired.map((f) => f.eventSeq),
              fired.map((f) => f.job.trigger),
              fired.map((f) => f.e.customerId),
              fired.map((f) => JSON.stringify(eventOf(f.e))),
              fired.map((f) => JSON.stringify(f.job.features)),
              fired.map(() => receivedAt),
            ],
          )
        ).rows
          .map((r) => r.id)
          // Identity values follow the insertion order; sorting keeps them paired with `fired` either way.
          .sort((a, b) => a - b);
        fired.forEach((f, k) => {
          jobs.push({
            id: ids[k]!,
            eventSeq: f.eventSeq,
            trigger: f.job.trigger,
            customerId: f.e.customerId,
            event: eventOf(f.e),
            features: f.job.features,
            createdAt: receivedAt,
          });
        });
      }
      await c.query(
        `UPDATE customer_features f SET state = s.state
         FROM unnest($1::text[], $2::text[]) AS s(customer_id, state) WHERE f.customer_id = s.customer_id`,
        [[...states.keys()], [...states.values()].map((s) => JSON.stringify(s))],
      );
      return { seqs, jobs };
    });
  }

  async rebuildFeatureStates(
    apply: (state: CustomerFeatureState, event: CustomerEvent) => void,
  ): Promise<number> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_APP, LOCK_FEATURES]);
      await c.query('DELETE FROM customer_features');
      let n = 0;
      let after: [string, number, number] = ['', Number.MIN_SAFE_INTEGER, 0];
      let current: string | undefined;
      let state: CustomerFeatureState = {};
      const done: Array<[string, string]> = [];
      const flush = async (force: boolean) => {
        if (done.length === 0 || (!force && done.length < 1000)) return;
        await c.query(
          'INSERT INTO customer_features (customer_id, state) SELECT * FROM unnest($1::text[], $2::text[])',
          [done.map((d) => d[0]), done.map((d) => d[1])],
        );
        done.length = 0;
      };
      for (;;) {
        const rows = (
          await c.query<{
            seq: number;
            customer_id: string;
            type: string;
            at: number;
            channel: string | null;
            payload: string;
          }>(
            `SELECT seq, customer_id, type, at, channel, payload FROM events
             WHERE (customer_id, at, seq) > ($1, $2, $3) ORDER BY customer_id, at, seq LIMIT 5000`,
            after,
          )
        ).rows;
        if (rows.length === 0) break;
        for (const row of rows) {
          if (row.customer_id !== current) {
            if (current !== undefined) done.push([current, JSON.stringify(state)]);
            current = row.customer_id;
            state = {};
          }
          apply(state, {
            customerId: row.customer_id,
            type: row.type,
            at: row.at,
            channel: row.channel ?? undefined,
            payload: JSON.parse(row.payload) as Attributes,
          });
          n++;
        }
        await flush(false);
        const last = rows[rows.length - 1]!;
        after = [last.customer_id, last.at, last.seq];
      }
      if (current !== undefined) done.push([current, JSON.stringify(state)]);
      await flush(true);
      return n;
    });
  }

  async featureState(customerId: string): Promise<CustomerFeatureState> {
    const [row] = await this.query<{ state: string }>(
      'SELECT state FROM customer_features WHERE customer_id = $1',
      [customerId],
    );
    return row ? (JSON.parse(row.state) as CustomerFeatureState) : {};
  }

  async claimTriggerJobs(query: {
    createdBefore: number;
    limit: number;
    now: number;
    leaseMs: number;
  }): Promise<TriggerJob[]> {
    const rows = await this.query<TriggerJobRow>(
      `UPDATE trigger_jobs SET claimed_until = $3 WHERE id IN (
         SELECT id FROM trigger_jobs WHERE created_at < $1 AND coalesce(claimed_until, 0) <= $2
         ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [query.createdBefore, query.now, query.now + query.leaseMs, query.limit],
    );
    return rows.sort((a, b) => a.id - b.id).map(toTriggerJob);
  }

  async finishTriggerJobs(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.query('DELETE FROM trigger_jobs WHERE id = ANY($1)', [ids]);
  }

  // ---- catalog --------------------------------------------------------------------------------------------

  async activeCatalog(): Promise<StoredCatalog | undefined> {
    const [row] = await this.query<CatalogRow>(
      'SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1',
    );
    return row && toCatalog(row);
  }

  async getCatalog(version: number): Promise<StoredCatalog | undefined> {
    const [row] = await this.query<CatalogRow>('SELECT * FROM catalogs WHERE version = $1', [version]);
    return row && toCatalog(row);
  }

  async listCatalogs() {
    const rows = await this.query<Omit<CatalogRow, 'source'>>(
      'SELECT version, hash, created_at, active FROM catalogs ORDER BY version',
    );
    return rows.map((r) => ({
      version: r.version,
      hash: r.hash,
      createdAt: r.created_at,
      active: r.active === 1,
    }));
  }

  async addCatalog(source: string, hash: string, now: number): Promise<StoredCatalog> {
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_APP, LOCK_CATALOG]);
      const [active] = (
        await c.query<CatalogRow>('SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1')
      ).rows;
      if (active?.hash === hash) return toCatalog(active);
      await c.query('UPDATE catalogs SET active = 0 WHERE active = 1');
      const { rows } = await c.query<{ version: number }>(
        'INSERT INTO catalogs (hash, source, created_at, active) VALUES ($1, $2, $3, 1) RETURNING version',
        [hash, source, now],
      );
      return { version: rows[0]!.version, hash, source, createdAt: now, active: true };
    });
  }

  // ---- decisions, history, budgets -----------------------------------------------------------------------

  async loadHistory(
    customerId: string,
    since: number,
    acceptsForever: boolean,
  ): Promise<InteractionRecord[]> {
    return history(this.pool, customerId, since, acceptsForever);
  }

  async budgetUsage(actionIds: readonly string[], day: number): Promise<Map<string, BudgetUsage>> {
    const usage = new Map<string, BudgetUsage>();
    for (const id of actionIds) usage.set(id, { today: 0, total: 0 });
    if (actionIds.length === 0) return usage;
    const rows = await this.query<{ action_id: string; total: number; today: number }>(
      `SELECT action_id, sum(count) AS total, coalesce(sum(count) FILTER (WHERE day = $1), 0) AS today
       FROM budget_usage WHERE action_id = ANY($2) GROUP BY action_id`,
      [day, actionIds],
    );
    for (const r of rows) usage.set(r.action_id, { today: r.today, total: r.total });
    return usage;
  }

  async commitDecision(commit: DecisionCommit): Promise<CommitResult> {
    const { decision, contacts, outbound, settlesJob, reserve } = commit;
    const { id, customerId, channel, at, catalogVersion, modelVersion, arm, ...rest } = decision;
    const day = Math.floor(at / DAY);
    const refused = new Error('refused');
    let result: CommitResult = { committed: true };
    try {
      await this.tx(async (c) => {
        if (reserve) {
          // Caps: one decision per customer at a time checks and writes the history (the lock ends with the
          // transaction, after this decision's contacts are committed).
          let caps: string[] = [];
          if (reserve.caps && customerId !== null) {
            await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_CUSTOMER, customerId]);
            caps = reserve.caps.violations(
              await history(c, customerId, reserve.caps.since, reserve.caps.acceptsForever),
            );
          }
          // Budgets: the day's counter takes a conditional increment (no row back: the daily limit is reached);
          // a total limit is checked against the sum over days under a lock per action. In action-id order, so
          // concurrent commits take the locks in the same order.
          const budgets: string[] = [];
          const limits = new Map(reserve.budgets.map((b) => [b.actionId, b]));
          for (const actionId of [...limits.keys()].sort()) {
            const b = limits.get(actionId)!;
            let ok = true;
            if (b.total !== undefined) {
              await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_BUDGET, actionId]);
              const { rows } = await c.query<{ n: number }>(
                'SELECT coalesce(sum(count), 0) AS n FROM budget_usage WHERE action_id = $1',
                [actionId],
              );
              ok = rows[0]!.n < b.total;
            }
            if (ok && b.maxPerDay === undefined) await c.query(COUNT_CHOICE, [actionId, day]);
            else if (ok) {
              const { rowCount } = await c.query(
                `${COUNT_CHOICE} WHERE budget_usage.count < $3 RETURNING count`,
                [actionId, day, b.maxPerDay],
              );
              ok = b.maxPerDay! > 0 && rowCount === 1;
            }
            if (!ok) budgets.push(actionId);
          }
          if (budgets.length > 0 || caps.length > 0) {
            result = { committed: false, budgets, caps };
            throw refused; // rolls back the increments made so far
          }
        }
        await c.query(
          'INSERT INTO decisions (id, customer_id, channel, at, catalog_version, model_version, arm, payload) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [id, customerId, channel, at, catalogVersion, modelVersion, arm, JSON.stringify(rest)],
        );
        const chosen = decision.chosen;
        if (chosen.length > 0) {
          await c.query(
            `INSERT INTO choices (decision_id, action_id, customer_id, channel, arm, issue, grp, at, rank, probability,
                                  propensity, value)
             SELECT $1, a, $2, $3, $4, i, g, $5, r, p, q, v
             FROM unnest($6::text[], $7::text[], $8::text[], $9::int[], $10::float8[], $11::float8[], $12::float8[])
               AS t(a, i, g, r, p, q, v)`,
            [
              id,
              customerId,
              channel,
              arm,
              at,
              chosen.map((k) => k.actionId),
              chosen.map((k) => k.issue),
              chosen.map((k) => k.group),
              chosen.map((k) => k.rank),
              chosen.map((k) => k.probability),
              chosen.map((k) => k.propensity),
              chosen.map((k) => decision.candidates.find((x) => x.actionId === k.actionId)?.value ?? 0),
            ],
          );
          // Budgets reserved above are counted already; the others are counted here.
          const counted = new Set(reserve?.budgets.map((b) => b.actionId) ?? []);
          const rest = [...new Set(chosen.map((k) => k.actionId).filter((a) => !counted.has(a)))].sort();
          if (rest.length > 0) {
            await c.query(
              `INSERT INTO budget_usage (action_id, day, count) SELECT unnest($1::text[]), $2, 1
               ON CONFLICT (action_id, day) DO UPDATE SET count = budget_usage.count + 1`,
              [rest, day],
            );
          }
        }
        if (customerId !== null && contacts.length > 0) {
          await c.query(
            `INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at)
             SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])`,
            [
              customerId,
              contacts.map((k) => k.kind),
              contacts.map((k) => k.actionId),
              contacts.map((k) => k.issue),
              contacts.map((k) => k.group),
              contacts.map((k) => k.channel),
              contacts.map((k) => k.at),
            ],
          );
        }
        if (outbound) await insertOutbound(c, outbound);
        if (settlesJob !== undefined) await c.query('DELETE FROM trigger_jobs WHERE id = $1', [settlesJob]);
      });
    } catch (error) {
      if (error !== refused) throw error;
    }
    return result;
  }

  async getDecision(id: string): Promise<DecisionRecord | undefined> {
    const [row] = await this.query<DecisionRow>('SELECT * FROM decisions WHERE id = $1', [id]);
    return row && toDecision(row);
  }

  async recentDecisions(
    limit: number,
  ): Promise<Array<Extract<TimelineEntry, { kind: 'decision' }> & { customerId: string | null }>> {
    const rows = await this.query<TimelineRow & { customer_id: string | null }>(
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

  async decisionCount(from: number, to: number): Promise<number> {
    const [row] = await this.query<{ n: number }>(
      'SELECT count(*) AS n FROM decisions WHERE at >= $1 AND at < $2',
      [from, to],
    );
    return row!.n;
  }

  async decisionLog(query: DecisionLogQuery): Promise<LoggedDecision[]> {
    const after = query.after ?? { at: query.from - 1, id: '' };
    const rows = await this.query<DecisionRow>(
      'SELECT * FROM decisions WHERE at >= $1 AND at < $2 AND (at, id) > ($3, $4) ORDER BY at, id LIMIT $5',
      [query.from, query.to, after.at, after.id, query.limit],
    );
    if (rows.length === 0) return [];
    const answers = await this.query<{ decisionId: string; actionId: string } & Record<ChoiceFlag, number>>(
      `SELECT decision_id AS "decisionId", action_id AS "actionId", ${CHOICE_FLAGS.join(', ')}
       FROM choices WHERE decision_id = ANY($1)`,
      [rows.map((r) => r.id)],
    );
    const byDecision = answersByDecision(answers);
    return rows.map((r) => ({ ...toDecision(r), answers: byDecision.get(r.id) ?? {} }));
  }

  // ---- outbound -------------------------------------------------------------------------------------------

  async claimOutbound(query: ClaimQuery): Promise<OutboundItem[]> {
    return this.tx(async (c) => {
      const channels = query.channels;
      const rows = (
        await c.query<OutboundRow>(
          `SELECT id, attempts, last_error, message FROM outbound
           WHERE status IN ('pending', 'claimed') AND available_at <= $1 ${channels ? 'AND channel = ANY($3)' : ''}
           ORDER BY available_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
          channels ? [query.now, query.limit, channels] : [query.now, query.limit],
        )
      ).rows;
      const items: OutboundItem[] = [];
      for (const row of rows) {
        if (row.attempts >= query.maxAttempts) {
          await c.query("UPDATE outbound SET status = 'failed', claim_token = NULL WHERE id = $1", [row.id]);
          continue;
        }
        const token = randomUUID();
        const leaseUntil = query.now + query.leaseMs;
        await c.query(
          "UPDATE outbound SET status = 'claimed', attempts = attempts + 1, claim_token = $1, available_at = $2 WHERE id = $3",
          [token, leaseUntil, row.id],
        );
        items.push({
          ...(JSON.parse(row.message) as OutboundMessage),
          id: row.id,
          status: 'claimed',
          attempts: row.attempts + 1,
          claimToken: token,
          leaseUntil,
          lastError: row.last_error,
        });
      }
      return items;
    });
  }

  async ackOutbound(id: number, claimToken: string, now: number): Promise<OutboundSettle> {
    return this.settleOutbound(id, claimToken, (c) =>
      c.query("UPDATE outbound SET status = 'done', done_at = $1, claim_token = NULL WHERE id = $2", [
        now,
        id,
      ]),
    );
  }

  async releaseOutbound(
    id: number,
    claimToken: string,
    retryAt: number,
    error: string,
  ): Promise<OutboundSettle> {
    return this.settleOutbound(id, claimToken, (c) =>
      c.query(
        "UPDATE outbound SET status = 'pending', available_at = $1, last_error = $2, claim_token = NULL WHERE id = $3",
        [retryAt, error, id],
      ),
    );
  }

  /** Settles a claim when the token is the current one (a lease that ran out but was not re-claimed still counts). */
  private settleOutbound(id: number, claimToken: string, update: (c: Client) => Promise<unknown>) {
    return this.tx(async (c): Promise<OutboundSettle> => {
      const [row] = (
        await c.query<{ status: OutboundStatus; claim_token: string | null }>(
          'SELECT status, claim_token FROM outbound WHERE id = $1 FOR UPDATE',
          [id],
        )
      ).rows;
      if (!row) return 'unknown';
      if (row.status !== 'claimed') return 'not_claimed';
      if (row.claim_token !== claimToken) return 'wrong_token';
      await update(c);
      return 'ok';
    });
  }

  async outboundCounts(): Promise<Array<{ channel: string; status: OutboundStatus; count: number }>> {
    return this.query(
      'SELECT channel, status, count(*) AS count FROM outbound GROUP BY channel, status ORDER BY channel, status',
    );
  }

  // ---- timeline and journeys ------------------------------------------------------------------------------

  async timeline(query: TimelineQuery): Promise<{ entries: TimelineEntry[]; next?: TimelineCursor }> {
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
    const rows = await this.query<TimelineRow>(
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

  async contactCounts(
    from: number,
    to: number,
  ): Promise<Array<{ channel: string; customerId: string; contacts: number }>> {
    return this.query(
      `SELECT channel, customer_id AS "customerId", count(*) AS contacts FROM choices
       WHERE at >= $1 AND at < $2 AND customer_id IS NOT NULL GROUP BY channel, customer_id`,
      [from, to],
    );
  }

  async triggerJourneys(from: number, to: number): Promise<OutboundJourney[]> {
    const rows = await this.query<Omit<OutboundJourney, 'firstAt'> & Record<ChoiceFlag, number | null>>(
      `SELECT ob.trigger_id AS trigger, ob.channel, ob.status, ob.event_at AS "eventAt", ob.created_at AS "createdAt",
         ${CHOICE_FLAGS.map((f) => `min(o.at) FILTER (WHERE o.outcome = '${f}') AS ${f}`).join(', ')}
       FROM outbound ob LEFT JOIN outcomes o ON o.decision_id = ob.decision_id
       WHERE ob.created_at >= $1 AND ob.created_at < $2
       GROUP BY ob.id ORDER BY ob.created_at, ob.id`,
      [from, to],
    );
    return rows.map(toJourney);
  }

  async eventsWithLastAction(
    type: string,
    from: number,
    to: number,
    attributionMs: number,
  ): Promise<Array<{ at: number; channel: string | null; payload: Attributes; actionId: string | null }>> {
    const rows = await this.query<{
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

  // ---- outcomes -------------------------------------------------------------------------------------------

  async outcomesForDecision(id: string): Promise<OutcomeRecord[]> {
    const rows = await this.query<OutcomeRow>('SELECT * FROM outcomes WHERE decision_id = $1 ORDER BY seq', [
      id,
    ]);
    return rows.map(toOutcome);
  }

  async recordOutcome(o: NewOutcome): Promise<{ record: OutcomeRecord; duplicate: boolean }> {
    return this.tx(async (c) => {
      // One outcome of a decision and action at a time: whether it teaches depends on the ones before it.
      await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        LOCK_CHOICE,
        `${o.decisionId}\u001f${o.actionId}`,
      ]);
      const [existing] = (
        await c.query<OutcomeRow>(
          'SELECT * FROM outcomes WHERE decision_id = $1 AND action_id = $2 AND outcome = $3',
          [o.decisionId, o.actionId, o.outcome],
        )
      ).rows;
      if (existing) return { record: toOutcome(existing), duplicate: true };
      const [teacher] = (
        await c.query<{ seq: number; outcome: string }>(
          'SELECT seq, outcome FROM outcomes WHERE decision_id = $1 AND action_id = $2 AND learned = 1 LIMIT 1',
          [o.decisionId, o.actionId],
        )
      ).rows;
      let learned = o.teaches && teacher === undefined;
      let corrects = 0;
      if (o.teaches && o.positive === true && teacher?.outcome === 'expired') {
        await c.query('UPDATE outcomes SET learned = 0 WHERE seq = $1', [teacher.seq]);
        learned = true;
        corrects = teacher.seq;
      }
      const { rows } = await c.query<{ seq: number }>(
        `INSERT INTO outcomes (decision_id, action_id, outcome, value, at, customer_id, learned, corrects)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING seq`,
        [o.decisionId, o.actionId, o.outcome, o.value ?? null, o.at, o.customerId, learned ? 1 : 0, corrects],
      );
      if (!(CHOICE_FLAGS as readonly string[]).includes(o.outcome))
        throw new Error(`unknown outcome '${o.outcome}'`);
      await c.query(
        `UPDATE choices SET ${o.outcome} = 1, outcome_value = outcome_value + $1 WHERE decision_id = $2 AND action_id = $3`,
        [o.value ?? 0, o.decisionId, o.actionId],
      );
      if (o.interaction && o.customerId !== null) {
        const i = o.interaction;
        await c.query(
          'INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
          [o.customerId, i.kind, i.actionId, i.issue, i.group, i.channel, i.at],
        );
      }
      const record: OutcomeRecord = {
        seq: rows[0]!.seq,
        decisionId: o.decisionId,
        actionId: o.actionId,
        outcome: o.outcome,
        ...(o.value === undefined ? {} : { value: o.value }),
        at: o.at,
        learned,
        corrects,
      };
      return { record, duplicate: false };
    });
  }

  async openChoices(from: number, to: number, limit: number): Promise<OpenChoice[]> {
    return this.query(
      `SELECT decision_id AS "decisionId", action_id AS "actionId", customer_id AS "customerId", at FROM choices c
       WHERE at > $1 AND at <= $2
         AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = c.decision_id
                         AND o.action_id = c.action_id AND o.learned = 1)
       ORDER BY at, decision_id, action_id LIMIT $3`,
      [from, to, limit],
    );
  }

  async learnedOutcomesAfter(seq: number, limit: number): Promise<LearnedOutcome[]> {
    const rows = await this.query<OutcomeRow & { payload: string }>(
      `SELECT o.*, d.payload AS payload FROM outcomes o JOIN decisions d ON d.id = o.decision_id
       WHERE o.learned = 1 AND o.seq > $1 ORDER BY o.seq LIMIT $2`,
      [seq, limit],
    );
    return rows.map((r) => {
      const { folded: _f, correctsFolded: _c, ...learned } = toFoldOutcome(r);
      return learned;
    });
  }

  // ---- models ---------------------------------------------------------------------------------------------

  async loadModels(): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }> {
    const rows = await this.query<{ key: string; state: string }>('SELECT key, state FROM models');
    return {
      models: rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) })),
      generation: await generation(this.pool),
      maxSeq: await foldedSeq(this.pool),
    };
  }

  async foldModels(fold: ModelFold): Promise<FoldResult> {
    // Folds run one at a time across processes (a session lock, taken before the transaction so that its
    // snapshot, REPEATABLE READ, already sees the previous fold's commit); every read below sees one snapshot.
    const lock = await this.pool.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1, $2)', [LOCK_APP, LOCK_FOLD]);
      try {
        return await this.tx(async (c) => {
          const current = await generation(c);
          const changed = (
            await c.query<{ key: string; state: string }>(
              'SELECT key, state FROM models WHERE version > $1',
              [fold.since],
            )
          ).rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) as StoredModel['state'] }));
          const unfolded = (
            await c.query<{ seq: number }>(
              'SELECT seq FROM outcomes WHERE learned = 1 AND folded = 0 ORDER BY seq',
            )
          ).rows.map((r) => r.seq);
          let states = fold.quick({ changed, unfolded });
          if (!states) {
            const rows = (
              await c.query<OutcomeRow & { payload: string; folded: number; corrects_folded: number }>(
                `SELECT o.*, d.payload AS payload, coalesce(x.folded, 0) AS corrects_folded
                 FROM outcomes o JOIN decisions d ON d.id = o.decision_id
                   LEFT JOIN outcomes x ON x.seq = o.corrects AND o.corrects > 0
                 WHERE o.learned = 1 ${fold.replayAll ? '' : 'AND o.folded = 0'} ORDER BY o.seq`,
              )
            ).rows;
            const outcomes = rows.map(toFoldOutcome);
            states = fold.replay({ changed, outcomes });
          }
          const pending = async () =>
            fold.pending.length === 0
              ? []
              : (
                  await c.query<{ seq: number }>(
                    'SELECT seq FROM outcomes WHERE seq = ANY($1) AND learned = 1 AND folded = 0 ORDER BY seq',
                    [fold.pending],
                  )
                ).rows.map((r) => r.seq);
          if (states.length === 0 && unfolded.length === 0)
            return {
              generation: current,
              folded: [],
              maxSeq: await foldedSeq(c),
              unsettled: await pending(),
            };
          const next = current + 1;
          const now = Date.now();
          await c.query(
            `INSERT INTO models (key, state, updated_at, version) SELECT k, s, $3, $4 FROM unnest($1::text[], $2::text[]) AS t(k, s)
             ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, version = excluded.version`,
            [states.map((m) => m.key), states.map((m) => JSON.stringify(m.state)), now, next],
          );
          await c.query('UPDATE outcomes SET folded = 1 WHERE seq = ANY($1)', [unfolded]);
          await putSetting(c, 'models.generation', String(next));
          return {
            generation: next,
            folded: unfolded,
            maxSeq: await foldedSeq(c),
            unsettled: await pending(),
          };
        }, 'REPEATABLE READ');
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_APP, LOCK_FOLD]);
      }
    } finally {
      lock.release();
    }
  }

  // ---- reporting ------------------------------------------------------------------------------------------

  async choiceTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<ChoiceTally[]> {
    const { dims, select, names } = tallyColumns(from, by, bucketMs);
    const group = [...names, ...CHOICE_FLAGS, 'valued'];
    const rows = await this.query<Record<string, number | string | boolean>>(
      `SELECT ${[...select, ''].join(', ')} ${CHOICE_FLAGS.join(', ')}, outcome_value <> 0 AS valued,
         count(*) AS offers, sum(value) AS value, sum(outcome_value) AS outcome_value
       FROM choices WHERE at >= $1 AND at < $2 GROUP BY ${group.join(', ')} ORDER BY ${group.join(', ')}`,
      [from, to],
    );
    return rows.map((r) => toTally(r, dims));
  }

  async decisionTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<Array<{ key: TallyKey; decisions: number }>> {
    const { dims, select, names } = tallyColumns(from, by, bucketMs);
    const rows = await this.query<Record<string, number | string>>(
      `SELECT ${[...select, ''].join(', ')} count(DISTINCT decision_id) AS decisions
       FROM choices WHERE at >= $1 AND at < $2 ${names.length > 0 ? `GROUP BY ${names.join(', ')}` : ''}`,
      [from, to],
    );
    return rows.map((r) => ({ key: tallyKey(r, dims), decisions: Number(r.decisions) }));
  }

  async choiceLog(query: ChoiceLogQuery): Promise<ChoiceLogRow[]> {
    const after = query.after ?? { at: query.from - 1, decisionId: '', actionId: '' };
    const rows = await this.query<Omit<ChoiceLogRow, 'flags'> & Record<ChoiceFlag, number>>(
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

  // ---- settings -------------------------------------------------------------------------------------------

  async getSetting(key: string): Promise<string | undefined> {
    const [row] = await this.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return row?.value;
  }

  async setSettingOnce(key: string, value: string): Promise<string> {
    const inserted = await this.query<{ value: string }>(
      'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING value',
      [key, value],
    );
    if (inserted[0]) return inserted[0].value;
    const [row] = await this.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return row!.value;
  }

  async setSetting(key: string, value: string): Promise<void> {
    await putSetting(this.pool, key, value);
  }
}

type Queryable = Pick<pg.Pool | Client, 'query'>;

async function putSetting(c: Queryable, key: string, value: string): Promise<void> {
  await c.query(
    'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    [key, value],
  );
}

async function generation(c: Queryable): Promise<number> {
  const { rows } = await c.query<{ value: string }>(
    "SELECT value FROM settings WHERE key = 'models.generation'",
  );
  return Number(rows[0]?.value ?? 0);
}

async function foldedSeq(c: Queryable): Promise<number> {
  const { rows } = await c.query<{ n: number }>(
    'SELECT coalesce(max(seq), 0) AS n FROM outcomes WHERE folded = 1',
  );
  return rows[0]!.n;
}

async function history(
  c: Queryable,
  customerId: string,
  since: number,
  acceptsForever: boolean,
): Promise<InteractionRecord[]> {
  const { rows } = await c.query<InteractionRow>(
    acceptsForever
      ? "SELECT kind, action_id, issue, grp, channel, at FROM interactions WHERE customer_id = $1 AND (at >= $2 OR kind IN ('accept', 'convert')) ORDER BY at, id"
      : 'SELECT kind, action_id, issue, grp, channel, at FROM interactions WHERE customer_id = $1 AND at >= $2 ORDER BY at, id',
    [customerId, since],
  );
  return rows.map(toInteraction);
}

async function insertOutbound(c: Client, outbound: OutboundMessage): Promise<void> {
  await c.query(
    `INSERT INTO outbound (decision_id, customer_id, channel, trigger_id, event_at, created_at, status, available_at, message)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $6, $7)`,
    [
      outbound.decisionId,
      outbound.customerId,
      outbound.channel,
      outbound.trigger.id,
      outbound.trigger.eventAt,
      outbound.createdAt,
      JSON.stringify(outbound),
    ],
  );
}
