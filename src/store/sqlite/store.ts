// Embedded SQLite adapter (better-sqlite3). WAL with synchronous=FULL: a transaction is on disk before the
// call returns, so an acknowledged outcome survives a crash of the process (and of the machine).

import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { CustomerEvent, CustomerFeatureState } from '../../core/events.ts';
import type { Attributes, BudgetUsage, Customer, InteractionRecord } from '../../core/types.ts';
import {
  AUDIT_INSERT,
  type AuditQuery,
  type AuditRow,
  auditSelect,
  auditValues,
  toAuditEntry,
} from '../auditRows.ts';
import { encodePayload } from '../decisionPayload.ts';
import { readMigrations } from '../migrations.ts';
import {
  type CatalogRow,
  CUSTOMER_OUTBOUND_SELECT,
  type CustomerOutboundRow,
  type DecisionRow,
  type InteractionRow,
  LEARNED_OUTCOMES,
  type OutboundRow,
  type OutcomeRow,
  STORED_HISTORY,
  type TriggerJobRow,
  toCatalog,
  toCustomerOutbound,
  toDecision,
  toFoldOutcome,
  toInteraction,
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
import { StoreUnavailableError } from '../unavailable.ts';
import * as decisionWrites from './decisionWrites.ts';
import * as eventWrites from './events.ts';
import * as keys from './keys.ts';
import * as modelStates from './models.ts';
import * as reports from './reporting.ts';
import * as retention from './retention.ts';
import { WriterThread } from './writerClient.ts';

function fileIdentity(path: string): { dev: number; ino: number } | undefined {
  if (path === ':memory:' || path === '') return undefined;
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat ? { dev: stat.dev, ino: stat.ino } : undefined;
}

/** A decision commit as the transaction needs it: the payload encoded, the chosen actions with their value. */
export interface EncodedCommit extends Omit<DecisionCommit, 'decision'> {
  head: Pick<
    DecisionRecord,
    'id' | 'customerId' | 'channel' | 'at' | 'catalogVersion' | 'modelVersion' | 'arm'
  >;
  payload: string;
  chosen: Array<DecisionRecord['chosen'][number] & { value: number }>;
}

/** Schema changes, applied in order (migrations/*.sql); `PRAGMA user_version` records how many have run. */
const MIGRATIONS = readMigrations(new URL('./migrations/', import.meta.url));

/** How long a write waits for the write lock (another connection's transaction) before it fails as busy. */
const LOCK_WAIT_MS = 5000;

interface WriteItem {
  run: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class SqliteStore implements Store {
  db: Database.Database;

  /** The thread that runs the hot writes (decisions, outcomes, profiles), when asked for. */
  private writer: WriterThread | undefined;

  /**
   * `path` is a file, or ':memory:' for tests. `writerThread`: run the hot writes on a connection of their own in
   * a worker thread (writer.ts), so that their transactions do not hold the event loop (a file only).
   */
  constructor(
    private readonly path: string,
    private readonly options: { writerThread?: boolean } = {},
  ) {
    this.db = SqliteStore.connect(path);
    this.identity = fileIdentity(path);
  }

  private static connect(path: string): Database.Database {
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
    return db;
  }

  /** The file opened (device and inode), to notice when it is removed or replaced while serving. */
  private identity: { dev: number; ino: number } | undefined;

  /** Why the file at `path` is no longer the one this store writes to, or undefined. */
  private fileIssue(): string | undefined {
    if (!this.identity) return undefined;
    const now = fileIdentity(this.path);
    if (!now) return `database file ${this.path} removed`;
    if (now.dev !== this.identity.dev || now.ino !== this.identity.ino)
      return `database file ${this.path} replaced`;
    return undefined;
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared statements are cached: preparing costs more than running a small query. */
  sql(text: string): Database.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  private queue: WriteItem[] = [];
  private flushScheduled = false;

  /**
   * Group commit: writes that arrive in the same turn of the event loop share one transaction and so one
   * fsync; each runs in its own savepoint, so one failing write does not undo the others. A write's promise
   * resolves only after the commit is on disk.
   */
  write<T>(run: () => T, first = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const item = { run, resolve: resolve as (v: unknown) => void, reject };
      // `first`: before the writes already waiting, i.e. it sees only writes whose callers have been answered.
      if (first) this.queue.unshift(item);
      else this.queue.push(item);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Since when the batch waiting to be written has found the write lock taken (0: it has not). */
  private busySince = 0;

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    // IMMEDIATE: the write lock is taken before the first read, so a batch that reads (a reservation's check,
    // an idempotency lookup) never works from a snapshot another process's commit made stale. The lock is not
    // waited for inside SQLite (its busy handler sleeps and so would stall this thread's event loop while the
    // writer thread or another process commits): a taken lock answers at once and the batch, with whatever
    // joins it, tries again a millisecond later, for up to LOCK_WAIT_MS.
    if (!this.begin(batch)) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      for (const item of batch) {
        try {
          // Inside the open transaction, better-sqlite3 runs each item in a savepoint of its own.
          outcomes.push({ ok: true, value: this.db.transaction(item.run)() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      this.sql('COMMIT').run();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch is durable.
      if (this.db.inTransaction) this.sql('ROLLBACK').run();
      for (const item of batch) item.reject(error);
      return;
    }
    // A commit into a file that was removed or replaced is gone at the next start: not acknowledged.
    const gone = this.fileIssue();
    if (gone) {
      const error = new StoreUnavailableError(gone);
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error);
    });
  }

  /** Opens the batch's transaction; false when the lock is taken (the batch waits) or cannot be had (rejected). */
  private begin(batch: WriteItem[]): boolean {
    try {
      this.sql('PRAGMA busy_timeout = 0').get();
      try {
        this.sql('BEGIN IMMEDIATE').run();
      } finally {
        this.sql(`PRAGMA busy_timeout = ${LOCK_WAIT_MS}`).get();
      }
      this.busySince = 0;
      return true;
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      const now = Date.now();
      if (busy && (this.busySince === 0 || now - this.busySince < LOCK_WAIT_MS)) {
        this.busySince ||= now;
        this.queue = batch.concat(this.queue);
        this.flushScheduled = true;
        setTimeout(() => this.flush(), 1);
        return false;
      }
      this.busySince = 0;
      for (const item of batch) item.reject(error);
      return false;
    }
  }

  async init(): Promise<void> {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `database schema version ${current} is newer than this nextbest (${MIGRATIONS.length})`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!.sql);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
    if (this.options.writerThread && this.path !== ':memory:') this.writer = new WriterThread(this.path);
  }

  async probe(): Promise<void> {
    const issue = this.fileIssue();
    if (issue?.endsWith('replaced')) await this.reconnect();
    else if (issue)
      throw new StoreUnavailableError(`${issue}: restore it (the server reopens it) or restart`);
    await this.write(() => this.putSetting('health.probe', String(Date.now())));
    if (this.writer?.stopped) this.writer = new WriterThread(this.path);
  }

  /** Opens the file now at `path` (an operator restored or replaced it), if its schema is this release's. */
  private async reconnect(): Promise<void> {
    const db = SqliteStore.connect(this.path);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== MIGRATIONS.length) {
      db.close();
      throw new StoreUnavailableError(
        `database file ${this.path} replaced by one with schema version ${version} (expected ${MIGRATIONS.length}): restart to migrate it`,
      );
    }
    const old = this.db;
    await this.writer?.close().catch(() => undefined);
    this.statements.clear();
    this.db = db;
    this.identity = fileIdentity(this.path);
    try {
      old.close();
    } catch {
      // the old connection's file is gone; nothing to keep
    }
    if (this.options.writerThread) this.writer = new WriterThread(this.path);
  }

  async appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<void> {
    await this.write(() => this.appendAuditNow(entry));
  }

  /** Inside a write: appends an audit entry to its transaction. */
  appendAuditNow(entry: Omit<AuditEntry, 'seq'> | undefined): void {
    if (entry) this.sql(AUDIT_INSERT(() => '?')).run(...auditValues(entry));
  }

  async apiKeys(): Promise<ApiKeyRecord[]> {
    return keys.apiKeys(this);
  }

  changeApiKeys(change: ApiKeyChange, now: number): Promise<KeyChangeVerdict> {
    return keys.changeApiKeys(this, change, now);
  }

  async auditLog(query: AuditQuery): Promise<AuditEntry[]> {
    const { text, values } = auditSelect(query, () => '?');
    return (this.sql(text).all(...values) as AuditRow[]).map(toAuditEntry);
  }

  async recordDegradedPeriod(period: DegradedPeriod): Promise<void> {
    await this.write(() =>
      this.sql('INSERT INTO degraded_periods (started_at, ended_at, reason) VALUES (?, ?, ?)').run(
        period.from,
        period.to,
        period.reason,
      ),
    );
  }

  async degradedPeriods(from: number, to: number): Promise<DegradedPeriod[]> {
    return this.sql(
      'SELECT started_at AS "from", ended_at AS "to", reason FROM degraded_periods WHERE ended_at > ? AND started_at < ? ORDER BY started_at',
    ).all(from, to) as DegradedPeriod[];
  }

  async close(): Promise<void> {
    await this.writer?.close();
    this.writer = undefined;
    this.flush();
    if (this.db.open) this.db.close();
  }

  async getCustomer(id: string): Promise<Customer | undefined> {
    const row = this.sql('SELECT * FROM customers WHERE id = ?').get(id) as
      | { id: string; attributes: string; created_at: number; updated_at: number }
      | undefined;
    if (!row) return undefined;
    return {
      id: row.id,
      attributes: JSON.parse(row.attributes) as Attributes,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  async putCustomer(
    id: string,
    attributes: Attributes,
    now: number,
  ): Promise<{ customer: Customer; created: boolean }> {
    if (this.writer) return this.writer.call('putCustomer', [id, attributes, now]);
    const json = JSON.stringify(attributes);
    const result = await this.write(() => {
      const existing = this.sql('SELECT created_at FROM customers WHERE id = ?').get(id) as
        | { created_at: number }
        | undefined;
      if (existing) {
        this.sql('UPDATE customers SET attributes = ?, updated_at = ? WHERE id = ?').run(json, now, id);
        return { created: false, createdAt: existing.created_at };
      }
      this.sql('INSERT INTO customers (id, attributes, created_at, updated_at) VALUES (?, ?, ?, ?)').run(
        id,
        json,
        now,
        now,
      );
      return { created: true, createdAt: now };
    });
    return {
      customer: { id, attributes, createdAt: result.createdAt, updatedAt: now },
      created: result.created,
    };
  }

  async sweepDecisions(before: number, limit: number): Promise<RetentionSweep> {
    return retention.sweepDecisions(this, before, limit);
  }

  async deleteCustomer(id: string, audit?: AuditOf<ErasureReport>): Promise<ErasureReport> {
    return this.write(() => {
      const outcomes = this.sql(
        'DELETE FROM outcomes WHERE customer_id = ? OR decision_id IN (SELECT id FROM decisions WHERE customer_id = ?)',
      ).run(id, id).changes;
      this.sql('DELETE FROM choices WHERE customer_id = ?').run(id);
      const decisions = this.sql('DELETE FROM decisions WHERE customer_id = ?').run(id).changes;
      const interactions = this.sql('DELETE FROM interactions WHERE customer_id = ?').run(id).changes;
      const events = this.sql('DELETE FROM events WHERE customer_id = ?').run(id).changes;
      this.sql('DELETE FROM outbound WHERE customer_id = ?').run(id);
      this.sql('DELETE FROM trigger_jobs WHERE customer_id = ?').run(id);
      this.sql('DELETE FROM customer_features WHERE customer_id = ?').run(id);
      const customer = this.sql('DELETE FROM customers WHERE id = ?').run(id).changes > 0;
      const report = { customer, decisions, outcomes, interactions, events };
      this.appendAuditNow(audit?.(report));
      return report;
    });
  }

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
    const row = this.sql('SELECT state FROM customer_features WHERE customer_id = ?').get(customerId) as
      | { state: string }
      | undefined;
    return row ? (JSON.parse(row.state) as CustomerFeatureState) : {};
  }

  async countCustomers(): Promise<number> {
    return (this.sql('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
  }

  async activeCatalog(): Promise<StoredCatalog | undefined> {
    const row = this.sql('SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1').get() as
      | CatalogRow
      | undefined;
    return row && toCatalog(row);
  }

  async getCatalog(version: number): Promise<StoredCatalog | undefined> {
    const row = this.sql('SELECT * FROM catalogs WHERE version = ?').get(version) as CatalogRow | undefined;
    return row && toCatalog(row);
  }

  async listCatalogs() {
    const rows = this.sql(
      'SELECT version, hash, created_at, active FROM catalogs ORDER BY version',
    ).all() as Array<Omit<CatalogRow, 'source'>>;
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
    return this.write(() => {
      const active = this.sql(
        'SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1',
      ).get() as CatalogRow | undefined;
      if (active?.hash === hash) return toCatalog(active);
      this.sql('UPDATE catalogs SET active = 0 WHERE active = 1').run();
      const info = this.sql(
        'INSERT INTO catalogs (hash, source, created_at, active) VALUES (?, ?, ?, 1)',
      ).run(hash, source, now);
      const stored = { version: Number(info.lastInsertRowid), hash, source, createdAt: now, active: true };
      this.appendAuditNow(audit?.(stored));
      return stored;
    });
  }

  async loadHistory(
    customerId: string,
    since: number,
    acceptsForever: boolean,
  ): Promise<InteractionRecord[]> {
    return this.history(customerId, since, acceptsForever);
  }

  history(customerId: string, since: number, acceptsForever: boolean): InteractionRecord[] {
    const sql = acceptsForever
      ? "SELECT kind, action_id, issue, grp, channel, at FROM interactions WHERE customer_id = ? AND (at >= ? OR kind IN ('accept', 'convert')) ORDER BY at"
      : 'SELECT kind, action_id, issue, grp, channel, at FROM interactions WHERE customer_id = ? AND at >= ? ORDER BY at';
    const rows = this.sql(sql).all(customerId, since) as InteractionRow[];
    return rows.map(toInteraction);
  }

  async budgetUsage(actionIds: readonly string[], day: number): Promise<Map<string, BudgetUsage>> {
    const usage = new Map<string, BudgetUsage>();
    for (const id of actionIds) usage.set(id, { today: 0, total: 0 });
    if (actionIds.length === 0) return usage;
    // One query for all budgeted actions; the ids travel as a JSON array.
    const rows = this.sql(
      `SELECT action_id, sum(count) AS total, coalesce(sum(CASE WHEN day = ? THEN count END), 0) AS today
       FROM budget_usage WHERE action_id IN (SELECT value FROM json_each(?)) GROUP BY action_id`,
    ).all(day, JSON.stringify(actionIds)) as Array<{ action_id: string; total: number; today: number }>;
    for (const r of rows) usage.set(r.action_id, { today: r.today, total: r.total });
    return usage;
  }

  async commitDecision(commit: DecisionCommit): Promise<CommitResult> {
    // Encoded here: a string and a few rows cross to the writer thread far cheaper than the record's objects.
    const { decision, ...rest } = commit;
    const { id, customerId, channel, at, catalogVersion, modelVersion, arm, ...kept } = decision;
    const encoded: EncodedCommit = {
      ...rest,
      head: { id, customerId, channel, at, catalogVersion, modelVersion, arm },
      payload: encodePayload(kept),
      chosen: decision.chosen.map((c) => ({
        ...c,
        value: decision.candidates.find((k) => k.actionId === c.actionId)?.value ?? 0,
      })),
    };
    if (this.writer) return this.writer.call('commitEncoded', [encoded]);
    return this.commitEncoded(encoded);
  }

  /** The transaction of `commitDecision` (run by the writer thread when there is one). */
  async commitEncoded(commit: EncodedCommit): Promise<CommitResult> {
    return decisionWrites.commitEncoded(this, commit);
  }

  async claimTriggerJobs(query: {
    createdBefore: number;
    limit: number;
    now: number;
    leaseMs: number;
  }): Promise<TriggerJob[]> {
    const rows = await this.write(() => {
      const due = this.sql(
        'SELECT * FROM trigger_jobs WHERE created_at < ? AND coalesce(claimed_until, 0) <= ? ORDER BY id LIMIT ?',
      ).all(query.createdBefore, query.now, query.limit) as TriggerJobRow[];
      const claim = this.sql('UPDATE trigger_jobs SET claimed_until = ? WHERE id = ?');
      for (const r of due) claim.run(query.now + query.leaseMs, r.id);
      return due;
    });
    return rows.map(toTriggerJob);
  }

  async finishTriggerJobs(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.write(() => {
      const remove = this.sql('DELETE FROM trigger_jobs WHERE id = ?');
      for (const id of ids) remove.run(id);
    });
  }

  async claimOutbound(query: ClaimQuery): Promise<OutboundItem[]> {
    return this.write(() => {
      const channels = query.channels;
      const rows = this.db
        .prepare(
          `SELECT * FROM outbound WHERE status IN ('pending', 'claimed') AND available_at <= ?
           ${channels ? `AND channel IN (${channels.map(() => '?').join(', ')})` : ''}
           ORDER BY available_at, id LIMIT ?`,
        )
        .all(query.now, ...(channels ?? []), query.limit) as OutboundRow[];
      const giveUp = this.sql("UPDATE outbound SET status = 'failed', claim_token = NULL WHERE id = ?");
      const claim = this.sql(
        "UPDATE outbound SET status = 'claimed', attempts = attempts + 1, claim_token = ?, available_at = ? WHERE id = ?",
      );
      const items: OutboundItem[] = [];
      for (const row of rows) {
        if (row.attempts >= query.maxAttempts) {
          giveUp.run(row.id);
          continue;
        }
        const token = randomUUID();
        const leaseUntil = query.now + query.leaseMs;
        claim.run(token, leaseUntil, row.id);
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
    return this.settleOutbound(id, claimToken, () =>
      this.sql("UPDATE outbound SET status = 'done', done_at = ?, claim_token = NULL WHERE id = ?").run(
        now,
        id,
      ),
    );
  }

  async releaseOutbound(
    id: number,
    claimToken: string,
    retryAt: number,
    error: string,
  ): Promise<OutboundSettle> {
    return this.settleOutbound(id, claimToken, () =>
      this.sql(
        "UPDATE outbound SET status = 'pending', available_at = ?, last_error = ?, claim_token = NULL WHERE id = ?",
      ).run(retryAt, error, id),
    );
  }

  /** Settles a claim when the token is the current one (a lease that ran out but was not re-claimed still counts). */
  private settleOutbound(id: number, claimToken: string, update: () => void): Promise<OutboundSettle> {
    return this.write(() => {
      const row = this.sql('SELECT status, claim_token FROM outbound WHERE id = ?').get(id) as
        | { status: OutboundStatus; claim_token: string | null }
        | undefined;
      if (!row) return 'unknown';
      if (row.status !== 'claimed') return 'not_claimed';
      if (row.claim_token !== claimToken) return 'wrong_token';
      update();
      return 'ok';
    });
  }

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

  async recentDecisions(
    limit: number,
  ): Promise<Array<Extract<TimelineEntry, { kind: 'decision' }> & { customerId: string | null }>> {
    return reports.recentDecisions(this, limit);
  }

  async outboundCounts(): Promise<Array<{ channel: string; status: OutboundStatus; count: number }>> {
    return this.sql(
      'SELECT channel, status, count(*) AS count FROM outbound GROUP BY channel, status ORDER BY channel, status',
    ).all() as Array<{ channel: string; status: OutboundStatus; count: number }>;
  }

  async outboundForCustomer(customerId: string): Promise<CustomerOutbound[]> {
    const rows = this.sql(CUSTOMER_OUTBOUND_SELECT('?')).all(customerId) as CustomerOutboundRow[];
    return rows.map(toCustomerOutbound);
  }

  async getDecision(id: string): Promise<DecisionRecord | undefined> {
    const row = this.sql('SELECT * FROM decisions WHERE id = ?').get(id) as DecisionRow | undefined;
    return row && toDecision(row);
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

  async outcomesForDecision(id: string): Promise<OutcomeRecord[]> {
    const rows = this.sql('SELECT * FROM outcomes WHERE decision_id = ? ORDER BY seq').all(
      id,
    ) as OutcomeRow[];
    return rows.map(toOutcome);
  }

  async recordOutcome(o: NewOutcome): Promise<{ record: OutcomeRecord; duplicate: boolean }> {
    if (this.writer) return this.writer.call('recordOutcome', [o]);
    return decisionWrites.recordOutcome(this, o);
  }

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

  async openChoices(from: number, to: number, limit: number): Promise<OpenChoice[]> {
    return this.sql(
      `SELECT decision_id AS decisionId, action_id AS actionId, customer_id AS customerId, at FROM choices c
       WHERE at > ? AND at <= ?
         AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.decision_id = c.decision_id
                         AND o.action_id = c.action_id AND o.learned = 1)
       ORDER BY at LIMIT ?`,
    ).all(from, to, limit) as OpenChoice[];
  }

  async learnedOutcomesAfter(seq: number, limit: number): Promise<LearnedOutcome[]> {
    const rows = this.sql(
      `${LEARNED_OUTCOMES}
         WHERE ${STORED_HISTORY} AND o.seq > ? ORDER BY o.seq LIMIT ?`,
    ).all(seq, limit) as Array<OutcomeRow & { payload: string }>;
    return rows.map(toFoldOutcome);
  }

  async loadModels(): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }> {
    return modelStates.loadModels(this);
  }

  async foldModels(fold: ModelFold): Promise<FoldResult> {
    return modelStates.foldModels(this, fold);
  }

  /** Learned outcomes with their decisions' features, oldest first: the unfolded ones, or all. */

  async getSetting(key: string): Promise<string | undefined> {
    const row = this.sql('SELECT value FROM settings WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  async setSettingOnce(key: string, value: string): Promise<string> {
    return this.write(() => {
      this.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING').run(
        key,
        value,
      );
      return (this.sql('SELECT value FROM settings WHERE key = ?').get(key) as { value: string }).value;
    });
  }

  async setSetting(key: string, value: string): Promise<void> {
    await this.write(() => this.putSetting(key, value));
  }

  putSetting(key: string, value: string): void {
    this.sql(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
  }
}
