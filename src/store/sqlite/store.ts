// Embedded SQLite adapter (better-sqlite3). WAL with synchronous=FULL: a transaction is on disk before the
// call returns, so an acknowledged outcome survives a crash of the process (and of the machine).

import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { CustomerEvent, CustomerFeatureState } from '../../core/events.ts';
import type { Attributes, BudgetUsage, Customer, InteractionRecord } from '../../core/types.ts';
import { readMigrations } from '../migrations.ts';
import {
  answersByDecision,
  type CatalogRow,
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
  type FoldOutcome,
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

/** Schema changes, applied in order (migrations/*.sql); `PRAGMA user_version` records how many have run. */
const MIGRATIONS = readMigrations(new URL('./migrations/', import.meta.url));

export class SqliteStore implements Store {
  readonly db: Database.Database;

  /** `path` is a file, or ':memory:' for tests. */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared statements are cached: preparing costs more than running a small query. */
  private sql(text: string): Database.Statement {
    let stmt = this.statements.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      this.statements.set(text, stmt);
    }
    return stmt;
  }

  private queue: Array<{ run: () => unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }> =
    [];
  private flushScheduled = false;

  /**
   * Group commit: writes that arrive in the same turn of the event loop share one transaction and so one
   * fsync; each runs in its own savepoint, so one failing write does not undo the others. A write's promise
   * resolves only after the commit is on disk.
   */
  private write<T>(run: () => T, first = false): Promise<T> {
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

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      // IMMEDIATE: the write lock is taken before the first read, so a batch that reads (a reservation's
      // check, an idempotency lookup) never works from a snapshot another process's commit made stale; the
      // lock is waited for (busy_timeout) rather than failing.
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ ok: true, value: this.db.transaction(item.run)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing in the batch is durable.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error);
    });
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
  }

  async close(): Promise<void> {
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

  async putCustomer(id: string, attributes: Attributes, now: number) {
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

  async deleteCustomer(id: string): Promise<ErasureReport> {
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
      return { customer, decisions, outcomes, interactions, events };
    });
  }

  async appendEvents(
    events: readonly CustomerEvent[],
    receivedAt: number,
    apply: (state: CustomerFeatureState, event: CustomerEvent) => readonly TriggerJobInput[] | undefined,
    setting?: { key: string; value: string },
  ): Promise<{ seqs: number[]; jobs: TriggerJob[] }> {
    return this.write(() => {
      if (setting) this.putSetting(setting.key, setting.value);
      const insert = this.sql(
        'INSERT INTO events (customer_id, type, at, channel, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)',
      );
      const read = this.sql('SELECT state FROM customer_features WHERE customer_id = ?');
      const states = new Map<string, CustomerFeatureState>();
      const seqs: number[] = [];
      const jobs: TriggerJob[] = [];
      const insertJob = this.sql(
        'INSERT INTO trigger_jobs (event_seq, trigger_id, customer_id, event, features, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      );
      for (const e of events) {
        const r = insert.run(
          e.customerId,
          e.type,
          e.at,
          e.channel ?? null,
          JSON.stringify(e.payload),
          receivedAt,
        );
        seqs.push(Number(r.lastInsertRowid));
        let state = states.get(e.customerId);
        if (!state) {
          const row = read.get(e.customerId) as { state: string } | undefined;
          state = row ? (JSON.parse(row.state) as CustomerFeatureState) : {};
          states.set(e.customerId, state);
        }
        const fired = apply(state, e);
        if (fired && fired.length > 0) {
          const eventSeq = seqs[seqs.length - 1]!;
          const event = {
            type: e.type,
            at: e.at,
            ...(e.channel ? { channel: e.channel } : {}),
            payload: e.payload,
          };
          for (const f of fired) {
            const r = insertJob.run(
              eventSeq,
              f.trigger,
              e.customerId,
              JSON.stringify(event),
              JSON.stringify(f.features),
              receivedAt,
            );
            jobs.push({
              id: Number(r.lastInsertRowid),
              eventSeq,
              trigger: f.trigger,
              customerId: e.customerId,
              event,
              features: f.features,
              createdAt: receivedAt,
            });
          }
        }
      }
      const save = this.sql(
        'INSERT INTO customer_features (customer_id, state) VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE SET state = excluded.state',
      );
      for (const [id, state] of states) save.run(id, JSON.stringify(state));
      return { seqs, jobs };
    });
  }

  async rebuildFeatureStates(
    apply: (state: CustomerFeatureState, event: CustomerEvent) => void,
  ): Promise<number> {
    return this.write(() => {
      this.sql('DELETE FROM customer_features').run();
      const save = this.sql('INSERT INTO customer_features (customer_id, state) VALUES (?, ?)');
      let current: string | undefined;
      let state: CustomerFeatureState = {};
      let n = 0;
      // Keyset pages: better-sqlite3 cannot write while a statement iterates on the same connection.
      const page = this.sql(
        `SELECT seq, customer_id, type, at, channel, payload FROM events
         WHERE (customer_id, at, seq) > (?, ?, ?) ORDER BY customer_id, at, seq LIMIT 5000`,
      );
      let after: [string, number, number] = ['', Number.MIN_SAFE_INTEGER, 0];
      for (;;) {
        const rows = page.all(...after) as Array<{
          seq: number;
          customer_id: string;
          type: string;
          at: number;
          channel: string | null;
          payload: string;
        }>;
        if (rows.length === 0) break;
        for (const row of rows) {
          if (row.customer_id !== current) {
            if (current !== undefined) save.run(current, JSON.stringify(state));
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
        const last = rows[rows.length - 1]!;
        after = [last.customer_id, last.at, last.seq];
      }
      if (current !== undefined) save.run(current, JSON.stringify(state));
      return n;
    });
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

  async addCatalog(source: string, hash: string, now: number): Promise<StoredCatalog> {
    return this.write(() => {
      const active = this.sql(
        'SELECT * FROM catalogs WHERE active = 1 ORDER BY version DESC LIMIT 1',
      ).get() as CatalogRow | undefined;
      if (active?.hash === hash) return toCatalog(active);
      this.sql('UPDATE catalogs SET active = 0 WHERE active = 1').run();
      const info = this.sql(
        'INSERT INTO catalogs (hash, source, created_at, active) VALUES (?, ?, ?, 1)',
      ).run(hash, source, now);
      return { version: Number(info.lastInsertRowid), hash, source, createdAt: now, active: true };
    });
  }

  async loadHistory(
    customerId: string,
    since: number,
    acceptsForever: boolean,
  ): Promise<InteractionRecord[]> {
    return this.history(customerId, since, acceptsForever);
  }

  private history(customerId: string, since: number, acceptsForever: boolean): InteractionRecord[] {
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
    const { decision, contacts, outbound, settlesJob, reserve } = commit;
    const { id, customerId, channel, at, catalogVersion, modelVersion, arm, ...rest } = decision;
    const payload = JSON.stringify(rest);
    const day = Math.floor(at / 86_400_000);
    return this.write((): CommitResult => {
      // The limits are checked inside the write transaction: SQLite runs one writer at a time across
      // processes (BEGIN IMMEDIATE), so nothing can take a slot between this check and the counts below.
      if (reserve) {
        const budgets: string[] = [];
        const today = this.sql('SELECT count FROM budget_usage WHERE action_id = ? AND day = ?');
        const total = this.sql(
          'SELECT coalesce(sum(count), 0) AS count FROM budget_usage WHERE action_id = ?',
        );
        for (const b of reserve.budgets) {
          const used = (q: Database.Statement, ...args: unknown[]) =>
            (q.get(...args) as { count: number } | undefined)?.count ?? 0;
          if (
            (b.maxPerDay !== undefined && used(today, b.actionId, day) >= b.maxPerDay) ||
            (b.total !== undefined && used(total, b.actionId) >= b.total)
          )
            budgets.push(b.actionId);
        }
        const caps =
          reserve.caps && customerId !== null
            ? reserve.caps.violations(
                this.history(customerId, reserve.caps.since, reserve.caps.acceptsForever),
              )
            : [];
        if (budgets.length > 0 || caps.length > 0) return { committed: false, budgets, caps };
      }
      this.sql(
        'INSERT INTO decisions (id, customer_id, channel, at, catalog_version, model_version, arm, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(id, customerId, channel, at, catalogVersion, modelVersion, arm, payload);
      const choice = this.sql(
        `INSERT INTO choices (decision_id, action_id, customer_id, channel, arm, issue, grp, at, rank, probability,
                              propensity, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const c of decision.chosen) {
        const value = decision.candidates.find((k) => k.actionId === c.actionId)?.value ?? 0;
        choice.run(
          id,
          c.actionId,
          customerId,
          channel,
          arm,
          c.issue,
          c.group,
          at,
          c.rank,
          c.probability,
          c.propensity,
          value,
        );
      }
      if (customerId !== null) {
        const insert = this.sql(
          'INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        for (const c of contacts)
          insert.run(customerId, c.kind, c.actionId, c.issue, c.group, c.channel, c.at);
      }
      const count = this.sql(
        'INSERT INTO budget_usage (action_id, day, count) VALUES (?, ?, 1) ON CONFLICT (action_id, day) DO UPDATE SET count = count + 1',
      );
      for (const c of decision.chosen) count.run(c.actionId, day);
      if (outbound)
        this.sql(
          `INSERT INTO outbound (decision_id, customer_id, channel, trigger_id, event_at, created_at, status,
                                 available_at, message)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        ).run(
          outbound.decisionId,
          outbound.customerId,
          outbound.channel,
          outbound.trigger.id,
          outbound.trigger.eventAt,
          outbound.createdAt,
          outbound.createdAt,
          JSON.stringify(outbound),
        );
      if (settlesJob !== undefined) this.sql('DELETE FROM trigger_jobs WHERE id = ?').run(settlesJob);
      return { committed: true };
    });
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
    const rows = this.db
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

  async contactCounts(
    from: number,
    to: number,
  ): Promise<Array<{ channel: string; customerId: string; contacts: number }>> {
    return this.sql(
      `SELECT channel, customer_id AS customerId, count(*) AS contacts FROM choices
       WHERE at >= ? AND at < ? AND customer_id IS NOT NULL GROUP BY channel, customer_id`,
    ).all(from, to) as Array<{ channel: string; customerId: string; contacts: number }>;
  }

  async triggerJourneys(from: number, to: number): Promise<OutboundJourney[]> {
    const rows = this.sql(
      `SELECT ob.trigger_id AS trigger, ob.channel, ob.status, ob.event_at AS eventAt, ob.created_at AS createdAt,
         ${CHOICE_FLAGS.map(
           (f) =>
             `(SELECT min(o.at) FROM outcomes o WHERE o.decision_id = ob.decision_id AND o.outcome = '${f}') AS ${f}`,
         ).join(', ')}
       FROM outbound ob WHERE ob.created_at >= ? AND ob.created_at < ? ORDER BY ob.created_at, ob.id`,
    ).all(from, to) as Array<Omit<OutboundJourney, 'firstAt'> & Record<ChoiceFlag, number | null>>;
    return rows.map(toJourney);
  }

  async eventsWithLastAction(
    type: string,
    from: number,
    to: number,
    attributionMs: number,
  ): Promise<Array<{ at: number; channel: string | null; payload: Attributes; actionId: string | null }>> {
    const rows = this.sql(
      `SELECT e.at, e.channel, e.payload,
         (SELECT c.action_id FROM choices c WHERE c.customer_id = e.customer_id AND c.at <= e.at AND c.at >= e.at - ?
          ORDER BY c.at DESC, c.rank ASC LIMIT 1) AS actionId
       FROM events e WHERE e.type = ? AND e.at >= ? AND e.at < ? ORDER BY e.at`,
    ).all(attributionMs, type, from, to) as Array<{
      at: number;
      channel: string | null;
      payload: string;
      actionId: string | null;
    }>;
    return rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) as Attributes }));
  }

  async recentDecisions(
    limit: number,
  ): Promise<Array<Extract<TimelineEntry, { kind: 'decision' }> & { customerId: string | null }>> {
    const rows = this.sql(
      `SELECT 'decision' AS kind, at, id AS k, id AS decision_id, NULL AS action_id, NULL AS type, channel, payload,
              NULL AS outcome, NULL AS value, arm, customer_id
       FROM decisions ORDER BY at DESC, id DESC LIMIT ?`,
    ).all(limit) as Array<TimelineRow & { customer_id: string | null }>;
    return rows.map((r) => ({
      ...(toTimelineEntry(r) as Extract<TimelineEntry, { kind: 'decision' }>),
      customerId: r.customer_id,
    }));
  }

  async outboundCounts(): Promise<Array<{ channel: string; status: OutboundStatus; count: number }>> {
    return this.sql(
      'SELECT channel, status, count(*) AS count FROM outbound GROUP BY channel, status ORDER BY channel, status',
    ).all() as Array<{ channel: string; status: OutboundStatus; count: number }>;
  }

  async getDecision(id: string): Promise<DecisionRecord | undefined> {
    const row = this.sql('SELECT * FROM decisions WHERE id = ?').get(id) as DecisionRow | undefined;
    return row && toDecision(row);
  }

  async decisionCount(from: number, to: number): Promise<number> {
    const row = this.sql('SELECT count(*) AS n FROM decisions WHERE at >= ? AND at < ?').get(from, to) as {
      n: number;
    };
    return row.n;
  }

  async decisionLog(query: DecisionLogQuery): Promise<LoggedDecision[]> {
    const after = query.after ?? { at: query.from - 1, id: '' };
    const rows = this.sql(
      `SELECT * FROM decisions WHERE at >= ? AND at < ? AND (at, id) > (?, ?) ORDER BY at, id LIMIT ?`,
    ).all(query.from, query.to, after.at, after.id, query.limit) as DecisionRow[];
    if (rows.length === 0) return [];
    const answers = this.sql(
      `SELECT decision_id AS decisionId, action_id AS actionId, ${CHOICE_FLAGS.join(', ')}
       FROM choices WHERE decision_id IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(rows.map((r) => r.id))) as Array<
      { decisionId: string; actionId: string } & Record<ChoiceFlag, number>
    >;
    const byDecision = answersByDecision(answers);
    return rows.map((r) => ({ ...toDecision(r), answers: byDecision.get(r.id) ?? {} }));
  }

  async outcomesForDecision(id: string): Promise<OutcomeRecord[]> {
    const rows = this.sql('SELECT * FROM outcomes WHERE decision_id = ? ORDER BY seq').all(
      id,
    ) as OutcomeRow[];
    return rows.map(toOutcome);
  }

  async recordOutcome(o: NewOutcome): Promise<{ record: OutcomeRecord; duplicate: boolean }> {
    return this.write(() => {
      const existing = this.sql(
        'SELECT * FROM outcomes WHERE decision_id = ? AND action_id = ? AND outcome = ?',
      ).get(o.decisionId, o.actionId, o.outcome) as OutcomeRow | undefined;
      if (existing) return { record: toOutcome(existing), duplicate: true };
      // Decided inside the transaction, so two outcomes of one decision never both teach the model; only a
      // late positive may replace what an expired response window taught.
      const teacher = this.sql(
        'SELECT seq, outcome FROM outcomes WHERE decision_id = ? AND action_id = ? AND learned = 1 LIMIT 1',
      ).get(o.decisionId, o.actionId) as { seq: number; outcome: string } | undefined;
      let learned = o.teaches && teacher === undefined;
      let corrects = 0;
      if (o.teaches && o.positive === true && teacher?.outcome === 'expired') {
        this.sql('UPDATE outcomes SET learned = 0 WHERE seq = ?').run(teacher.seq);
        learned = true;
        corrects = teacher.seq;
      }
      const info = this.sql(
        'INSERT INTO outcomes (decision_id, action_id, outcome, value, at, customer_id, learned, corrects) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        o.decisionId,
        o.actionId,
        o.outcome,
        o.value ?? null,
        o.at,
        o.customerId,
        learned ? 1 : 0,
        corrects,
      );
      // The choice's outcome flags (column names are the closed set of outcome types).
      this.sql(
        `UPDATE choices SET ${o.outcome} = 1, outcome_value = outcome_value + ? WHERE decision_id = ? AND action_id = ?`,
      ).run(o.value ?? 0, o.decisionId, o.actionId);
      if (o.interaction && o.customerId !== null) {
        const i = o.interaction;
        this.sql(
          'INSERT INTO interactions (customer_id, kind, action_id, issue, grp, channel, at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        ).run(o.customerId, i.kind, i.actionId, i.issue, i.group, i.channel, i.at);
      }
      const record: OutcomeRecord = {
        seq: Number(info.lastInsertRowid),
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

  async choiceTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<ChoiceTally[]> {
    const { dims, select, names } = tallyColumns(from, by, bucketMs);
    const group = [...names, ...CHOICE_FLAGS, 'valued'];
    const rows = this.sql(
      `SELECT ${[...select, ''].join(', ')} ${CHOICE_FLAGS.join(', ')}, outcome_value <> 0 AS valued,
         count(*) AS offers, sum(value) AS value, sum(outcome_value) AS outcome_value
       FROM choices WHERE at >= ? AND at < ? GROUP BY ${group.join(', ')} ORDER BY ${group.join(', ')}`,
    ).all(from, to) as Array<Record<string, number | string>>;
    return rows.map((r) => toTally(r, dims));
  }

  async decisionTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<Array<{ key: TallyKey; decisions: number }>> {
    const { dims, select, names } = tallyColumns(from, by, bucketMs);
    const rows = this.sql(
      `SELECT ${[...select, ''].join(', ')} count(DISTINCT decision_id) AS decisions
       FROM choices WHERE at >= ? AND at < ? ${names.length > 0 ? `GROUP BY ${names.join(', ')}` : ''}`,
    ).all(from, to) as Array<Record<string, number | string>>;
    return rows.map((r) => ({ key: tallyKey(r, dims), decisions: Number(r.decisions) }));
  }

  async choiceLog(query: ChoiceLogQuery): Promise<ChoiceLogRow[]> {
    const after = query.after ?? { at: query.from - 1, decisionId: '', actionId: '' };
    return (
      this.sql(
        `SELECT decision_id AS decisionId, action_id AS actionId, arm, channel, at, probability, propensity, value,
              ${CHOICE_FLAGS.join(', ')}
       FROM choices
       WHERE at >= ? AND at < ? AND (? IS NULL OR action_id = ?)
         AND (at, decision_id, action_id) > (?, ?, ?)
       ORDER BY at, decision_id, action_id LIMIT ?`,
      ).all(
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
      `SELECT o.*, d.payload AS payload FROM outcomes o JOIN decisions d ON d.id = o.decision_id
         WHERE o.learned = 1 AND o.seq > ? ORDER BY o.seq LIMIT ?`,
    ).all(seq, limit) as Array<OutcomeRow & { payload: string }>;
    return rows.map((r) => {
      const { folded: _f, correctsFolded: _c, ...learned } = toFoldOutcome(r);
      return learned;
    });
  }

  async loadModels(): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }> {
    const rows = this.sql('SELECT key, state FROM models').all() as Array<{ key: string; state: string }>;
    return {
      models: rows.map((r) => ({ key: r.key, state: JSON.parse(r.state) })),
      generation: this.generation(),
      maxSeq: this.foldedSeq(),
    };
  }

  private generation(): number {
    const row = this.sql("SELECT value FROM settings WHERE key = 'models.generation'").get() as
      | { value: string }
      | undefined;
    return Number(row?.value ?? 0);
  }

  private foldedSeq(): number {
    return (
      this.sql('SELECT coalesce(max(seq), 0) AS n FROM outcomes WHERE folded = 1').get() as { n: number }
    ).n;
  }

  async foldModels(fold: ModelFold): Promise<FoldResult> {
    // One write transaction: SQLite runs one writer at a time, across processes too, so folds never overlap.
    // First in its batch, so every outcome it finds was answered, and so learned live, already: a single
    // process then takes the quick path.
    return this.write((): FoldResult => {
      const generation = this.generation();
      const changed = (
        this.sql('SELECT key, state FROM models WHERE version > ?').all(fold.since) as Array<{
          key: string;
          state: string;
        }>
      ).map((r) => ({ key: r.key, state: JSON.parse(r.state) as StoredModel['state'] }));
      const unfolded = (
        this.sql('SELECT seq FROM outcomes WHERE learned = 1 AND folded = 0 ORDER BY seq').all() as Array<{
          seq: number;
        }>
      ).map((r) => r.seq);
      const states =
        fold.quick({ changed, unfolded }) ??
        fold.replay({ changed, outcomes: this.foldOutcomes(fold.replayAll) });
      if (states.length === 0 && unfolded.length === 0)
        return { generation, folded: [], maxSeq: this.foldedSeq(), unsettled: this.unsettled(fold.pending) };
      const next = generation + 1;
      const now = Date.now();
      const upsert = this.sql(
        `INSERT INTO models (key, state, updated_at, version) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, version = excluded.version`,
      );
      for (const m of states) upsert.run(m.key, JSON.stringify(m.state), now, next);
      this.sql('UPDATE outcomes SET folded = 1 WHERE seq IN (SELECT value FROM json_each(?))').run(
        JSON.stringify(unfolded),
      );
      this.putSetting('models.generation', String(next));
      return {
        generation: next,
        folded: unfolded,
        maxSeq: this.foldedSeq(),
        unsettled: this.unsettled(fold.pending),
      };
    }, true);
  }

  private unsettled(seqs: readonly number[]): number[] {
    if (seqs.length === 0) return [];
    return (
      this.sql(
        'SELECT seq FROM outcomes WHERE seq IN (SELECT value FROM json_each(?)) AND learned = 1 AND folded = 0 ORDER BY seq',
      ).all(JSON.stringify(seqs)) as Array<{ seq: number }>
    ).map((r) => r.seq);
  }

  /** Learned outcomes with their decisions' features, oldest first: the unfolded ones, or all. */
  private *foldOutcomes(all: boolean): Generator<FoldOutcome> {
    const rows = this.sql(
      `SELECT o.*, d.payload AS payload, coalesce(c.folded, 0) AS corrects_folded
       FROM outcomes o JOIN decisions d ON d.id = o.decision_id LEFT JOIN outcomes c ON c.seq = o.corrects AND o.corrects > 0
       WHERE o.learned = 1 ${all ? '' : 'AND o.folded = 0'} ORDER BY o.seq`,
    ).iterate() as IterableIterator<
      OutcomeRow & { payload: string; folded: number; corrects_folded: number }
    >;
    for (const r of rows) {
      yield toFoldOutcome(r);
    }
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

  private putSetting(key: string, value: string): void {
    this.sql(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
  }
}
