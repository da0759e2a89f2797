// Embedded SQLite adapter (better-sqlite3). WAL with synchronous=FULL: a transaction is on disk before the
// call returns, so an acknowledged outcome survives a crash of the process (and of the machine).

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
  type DecisionRow,
  historySql,
  type InteractionRow,
  type OutcomeRow,
  toDecision,
  toInteraction,
  toOutcome,
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
import * as catalogs from './catalogs.ts';
import * as customers from './customers.ts';
import * as decisionWrites from './decisionWrites.ts';
import * as eventWrites from './events.ts';
import * as keys from './keys.ts';
import * as modelStates from './models.ts';
import * as queues from './queues.ts';
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
    return customers.getCustomer(this, id);
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
    return customers.deleteCustomer(this, id, audit);
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
    return customers.featureState(this, customerId);
  }

  async countCustomers(): Promise<number> {
    return customers.countCustomers(this);
  }

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

  async loadHistory(
    customerId: string,
    since: number,
    acceptsForever: boolean,
  ): Promise<InteractionRecord[]> {
    return this.history(customerId, since, acceptsForever);
  }

  history(customerId: string, since: number, acceptsForever: boolean): InteractionRecord[] {
    // Numbered parameters (?1, ?2) bind from an object in better-sqlite3.
    const rows = this.sql(historySql((n) => `?${n}`, acceptsForever)).all({ 1: customerId, 2: since });
    return (rows as InteractionRow[]).map(toInteraction);
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
    return queues.claimTriggerJobs(this, query);
  }

  async finishTriggerJobs(ids: readonly number[]): Promise<void> {
    return queues.finishTriggerJobs(this, ids);
  }

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
    return queues.outboundCounts(this);
  }

  async outboundForCustomer(customerId: string): Promise<CustomerOutbound[]> {
    return queues.outboundForCustomer(this, customerId);
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
    return modelStates.openChoices(this, from, to, limit);
  }

  async learnedOutcomesAfter(seq: number, limit: number): Promise<LearnedOutcome[]> {
    return modelStates.learnedOutcomesAfter(this, seq, limit);
  }

  async loadModels(): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }> {
    return modelStates.loadModels(this);
  }

  async foldModels(fold: ModelFold): Promise<FoldResult> {
    return modelStates.foldModels(this, fold);
  }

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
