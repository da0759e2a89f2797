// PostgreSQL adapter (pg): the store several nextbest processes share. Every write is one transaction on a
// pooled connection, committed (and so durable, with PostgreSQL's default synchronous_commit) before the call
// returns. Limits and claims take row locks or transaction-scoped advisory locks; claims skip rows other
// processes hold (FOR UPDATE SKIP LOCKED).

import pg from 'pg';
import type { CustomerEvent, CustomerFeatureState } from '../../core/events.ts';
import type { Attributes, BudgetUsage, Customer, InteractionRecord } from '../../core/types.ts';
import { type AuditQuery, type AuditRow, auditSelect, toAuditEntry } from '../auditRows.ts';
import { readMigrations } from '../migrations.ts';
import { type DecisionRow, type OutcomeRow, toDecision, toOutcome } from '../rows.ts';
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
import * as catalogs from './catalogs.ts';
import * as customers from './customers.ts';
import * as decisionWrites from './decisionWrites.ts';
import * as eventWrites from './events.ts';
import * as keys from './keys.ts';
import * as modelStates from './models.ts';
import * as queues from './queues.ts';
import * as reports from './reporting.ts';
import * as retention from './retention.ts';
import {
  appendAuditIn,
  type Client,
  history,
  LOCK_APP,
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
    return customers.getCustomer(this, id);
  }

  async putCustomer(id: string, attributes: Attributes, now: number) {
    return customers.putCustomer(this, id, attributes, now);
  }

  async sweepDecisions(before: number, limit: number): Promise<RetentionSweep> {
    return retention.sweepDecisions(this, before, limit);
  }

  async deleteCustomer(id: string, audit?: AuditOf<ErasureReport>): Promise<ErasureReport> {
    return customers.deleteCustomer(this, id, audit);
  }

  async countCustomers(): Promise<number> {
    return customers.countCustomers(this);
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
    return customers.featureState(this, customerId);
  }

  async claimTriggerJobs(query: {
    createdBefore: number;
    limit: number;
    now: number;
    leaseMs: number;
  }): Promise<TriggerJob[]> {
    return queues.claimTriggerJobs(this, query);
  }

  async finishTriggerJobs(ids: readonly number[]): Promise<void> {
    return queues.finishTriggerJobs(this, ids);
  }

  // ---- catalog --------------------------------------------------------------------------------------------

  async activeCatalog(): Promise<StoredCatalog | undefined> {
    return catalogs.activeCatalog(this);
  }

  async getCatalog(version: number): Promise<StoredCatalog | undefined> {
    return catalogs.getCatalog(this, version);
  }

  async listCatalogs() {
    return catalogs.listCatalogs(this);
  }

  async addCatalog(
    source: string,
    hash: string,
    now: number,
    audit?: AuditOf<StoredCatalog>,
  ): Promise<StoredCatalog> {
    return catalogs.addCatalog(this, source, hash, now, audit);
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
    return queues.claimOutbound(this, query);
  }

  async ackOutbound(id: number, claimToken: string, now: number): Promise<OutboundSettle> {
    return queues.ackOutbound(this, id, claimToken, now);
  }

  async releaseOutbound(
    id: number,
    claimToken: string,
    retryAt: number,
    error: string,
  ): Promise<OutboundSettle> {
    return queues.releaseOutbound(this, id, claimToken, retryAt, error);
  }

  async outboundCounts(): Promise<Array<{ channel: string; status: OutboundStatus; count: number }>> {
    return queues.outboundCounts(this);
  }

  async outboundForCustomer(customerId: string): Promise<CustomerOutbound[]> {
    return queues.outboundForCustomer(this, customerId);
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
    return modelStates.openChoices(this, from, to, limit);
  }

  async learnedOutcomesAfter(seq: number, limit: number): Promise<LearnedOutcome[]> {
    return modelStates.learnedOutcomesAfter(this, seq, limit);
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
