// PostgreSQL adapter (pg): the store several nextbest processes share. Every write is one transaction on a
// pooled connection, committed (and so durable, with PostgreSQL's default synchronous_commit) before the call
// returns. Limits and claims take row locks or transaction-scoped advisory locks; claims skip rows other
// processes hold (FOR UPDATE SKIP LOCKED).

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { CustomerEvent, CustomerFeatureState } from '../../core/events.ts';
import type { Attributes, BudgetUsage, Customer, InteractionRecord } from '../../core/types.ts';
import { type AuditQuery, type AuditRow, auditSelect, toAuditEntry } from '../auditRows.ts';
import { readMigrations } from '../migrations.ts';
import {
  type CatalogRow,
  CUSTOMER_OUTBOUND_SELECT,
  type CustomerOutboundRow,
  type DecisionRow,
  LEARNED_OUTCOMES,
  type OutboundRow,
  type OutcomeRow,
  STORED_HISTORY,
  type TriggerJobRow,
  toCatalog,
  toCustomerOutbound,
  toDecision,
  toFoldOutcome,
  toOutcome,
  toTriggerJob,
} from '../rows.ts';
import type {
  ApiKeyChange,
  ApiKeyRecord,
  AuditEntry,
  AuditOf,
  ChoiceLogQuery,
  ChoiceLogRow,
  ChoiceTally,
  ClaimQuery,
  CommitResult,
  CustomerOutbound,
  DecisionCommit,
  DecisionLogQuery,
  DecisionRecord,
  DegradedPeriod,
  ErasureReport,
  FoldResult,
  KeyChangeVerdict,
  KpiDimension,
  LearnedOutcome,
  LoggedDecision,
  ModelFold,
  NewOutcome,
  OpenChoice,
  OutboundItem,
  OutboundJourney,
  OutboundMessage,
  OutboundSettle,
  OutboundStatus,
  OutcomeRecord,
  RetentionSweep,
  Store,
  StoredCatalog,
  StoredModel,
  TallyKey,
  TimelineCursor,
  TimelineEntry,
  TimelineQuery,
  TriggerJob,
  TriggerJobInput,
} from '../store.ts';
import * as decisionWrites from './decisionWrites.ts';
import * as eventWrites from './events.ts';
import * as keys from './keys.ts';
import * as modelStates from './models.ts';
import * as reports from './reporting.ts';
import * as retention from './retention.ts';
import {
  appendAuditIn,
  type Client,
  history,
  LOCK_APP,
  LOCK_CATALOG,
  LOCK_MIGRATE,
  putSetting,
  RETRYABLE,
  types,
} from './sql.ts';

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

/** Errors worth running the transaction again for: serialization failures and deadlocks. */

export interface PostgresOptions {
  /** A schema of its own (created when missing): tests and several deployments on one database. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
}

export class PostgresStore implements Store {
  readonly pool: pg.Pool;
  readonly schema: string;
  private readonly connectionString: string;

  /** `url`: a postgres:// connection string; `?schema=name` selects a schema of its own. */
  constructor(url: string, options: PostgresOptions = {}) {
    const parsed = new URL(url);
    const schema = options.schema ?? parsed.searchParams.get('schema') ?? 'public';
    parsed.searchParams.delete('schema');
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`schema '${schema}': use a-z, 0-9 and _`);
    this.schema = schema;
    this.connectionString = parsed.toString();
    this.pool = new pg.Pool({
      connectionString: this.connectionString,
      max: options.poolSize ?? 10,
      // A request waits at most this long for a connection (queued behind others, or a database that does not
      // answer), then fails with 503 instead of hanging.
      connectionTimeoutMillis: 10_000,
      types,
      options: `-c search_path=${schema}`,
    });
    // An idle connection that breaks (server restart) must not take the process down.
    this.pool.on('error', (error) => console.error('postgres connection error:', error.message));
  }

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  /** Runs `fn` in one transaction; serialization failures and deadlocks run it again (a few times). */
  async tx<T>(
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

  async sweepDecisions(before: number, limit: number): Promise<RetentionSweep> {
    return retention.sweepDecisions(this, before, limit);
  }

  async deleteCustomer(id: string, audit?: AuditOf<ErasureReport>): Promise<ErasureReport> {
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
      const report = { customer, decisions, outcomes, interactions, events };
      await appendAuditIn(c, audit?.(report));
      return report;
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
    return eventWrites.appendEvents(this, events, receivedAt, apply, setting);
  }

  async rebuildFeatureStates(
    apply: (state: CustomerFeatureState, event: CustomerEvent) => void,
  ): Promise<number> {
    return eventWrites.rebuildFeatureStates(this, apply);
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

  async addCatalog(
    source: string,
    hash: string,
    now: number,
    audit?: AuditOf<StoredCatalog>,
  ): Promise<StoredCatalog> {
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
      const stored = { version: rows[0]!.version, hash, source, createdAt: now, active: true };
      await appendAuditIn(c, audit?.(stored));
      return stored;
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
    return decisionWrites.commitDecision(this, commit);
  }

  async getDecision(id: string): Promise<DecisionRecord | undefined> {
    const [row] = await this.query<DecisionRow>('SELECT * FROM decisions WHERE id = $1', [id]);
    return row && toDecision(row);
  }

  async recentDecisions(
    limit: number,
  ): Promise<Array<Extract<TimelineEntry, { kind: 'decision' }> & { customerId: string | null }>> {
    return reports.recentDecisions(this, limit);
  }

  async decisionCount(from: number, to: number): Promise<number> {
    return reports.decisionCount(this, from, to);
  }

  async nthLatestDecisionAt(to: number, n: number): Promise<number | undefined> {
    return reports.nthLatestDecisionAt(this, to, n);
  }

  async decisionLog(query: DecisionLogQuery): Promise<LoggedDecision[]> {
    return reports.decisionLog(this, query);
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

  async outboundForCustomer(customerId: string): Promise<CustomerOutbound[]> {
    const rows = await this.query<CustomerOutboundRow & pg.QueryResultRow>(CUSTOMER_OUTBOUND_SELECT('$1'), [
      customerId,
    ]);
    return rows.map(toCustomerOutbound);
  }

  // ---- timeline and journeys ------------------------------------------------------------------------------

  async timeline(query: TimelineQuery): Promise<{ entries: TimelineEntry[]; next?: TimelineCursor }> {
    return reports.timeline(this, query);
  }

  async contactCounts(
    from: number,
    to: number,
  ): Promise<Array<{ channel: string; customerId: string; contacts: number }>> {
    return reports.contactCounts(this, from, to);
  }

  async triggerJourneys(from: number, to: number): Promise<OutboundJourney[]> {
    return reports.triggerJourneys(this, from, to);
  }

  async eventsWithLastAction(
    type: string,
    from: number,
    to: number,
    attributionMs: number,
  ): Promise<Array<{ at: number; channel: string | null; payload: Attributes; actionId: string | null }>> {
    return reports.eventsWithLastAction(this, type, from, to, attributionMs);
  }

  // ---- outcomes -------------------------------------------------------------------------------------------

  async outcomesForDecision(id: string): Promise<OutcomeRecord[]> {
    const rows = await this.query<OutcomeRow>('SELECT * FROM outcomes WHERE decision_id = $1 ORDER BY seq', [
      id,
    ]);
    return rows.map(toOutcome);
  }

  async recordOutcome(o: NewOutcome): Promise<{ record: OutcomeRecord; duplicate: boolean }> {
    return decisionWrites.recordOutcome(this, o);
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
      `${LEARNED_OUTCOMES}
       WHERE ${STORED_HISTORY} AND o.seq > $1 ORDER BY o.seq LIMIT $2`,
      [seq, limit],
    );
    return rows.map(toFoldOutcome);
  }

  // ---- models ---------------------------------------------------------------------------------------------

  async loadModels(): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }> {
    return modelStates.loadModels(this);
  }

  async foldModels(fold: ModelFold): Promise<FoldResult> {
    return modelStates.foldModels(this, fold);
  }

  // ---- reporting ------------------------------------------------------------------------------------------

  async choiceTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<ChoiceTally[]> {
    return reports.choiceTallies(this, from, to, by, bucketMs);
  }

  async decisionTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<Array<{ key: TallyKey; decisions: number }>> {
    return reports.decisionTallies(this, from, to, by, bucketMs);
  }

  async choiceLog(query: ChoiceLogQuery): Promise<ChoiceLogRow[]> {
    return reports.choiceLog(this, query);
  }

  // ---- health ---------------------------------------------------------------------------------------------

  async probe(): Promise<void> {
    // A connection of its own, so that a pool busy with requests does not look like a database that is down;
    // and a write, so that a read-only or full database fails the probe too.
    const client = new pg.Client({
      connectionString: this.connectionString,
      connectionTimeoutMillis: 3000,
      options: `-c search_path=${this.schema}`,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await putSetting(client, 'health.probe', String(Date.now()));
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<void> {
    await appendAuditIn(this.pool, entry);
  }

  apiKeys(): Promise<ApiKeyRecord[]> {
    return keys.apiKeys(this.pool);
  }

  changeApiKeys(change: ApiKeyChange, now: number): Promise<KeyChangeVerdict> {
    return keys.changeApiKeys(this, change, now);
  }

  async auditLog(query: AuditQuery): Promise<AuditEntry[]> {
    const { text, values } = auditSelect(query, (n) => `$${n}`);
    return (await this.query<AuditRow & pg.QueryResultRow>(text, values)).map(toAuditEntry);
  }

  async recordDegradedPeriod(period: DegradedPeriod): Promise<void> {
    await this.query('INSERT INTO degraded_periods (started_at, ended_at, reason) VALUES ($1, $2, $3)', [
      period.from,
      period.to,
      period.reason,
    ]);
  }

  async degradedPeriods(from: number, to: number): Promise<DegradedPeriod[]> {
    return this.query<DegradedPeriod & pg.QueryResultRow>(
      'SELECT started_at AS "from", ended_at AS "to", reason FROM degraded_periods WHERE ended_at > $1 AND started_at < $2 ORDER BY started_at',
      [from, to],
    );
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
