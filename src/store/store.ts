// The one storage interface. It is async so that a networked database (PostgreSQL) fits behind it without
// changing callers; the embedded SQLite adapter is the default.

import type { CustomerEvent, CustomerFeatureState } from '../core/events.ts';
import type { Attributes, BudgetUsage, Customer, InteractionRecord } from '../core/types.ts';

import type {
  ChoiceLogQuery,
  ChoiceLogRow,
  ChoiceTally,
  ClaimQuery,
  CommitResult,
  DecisionCommit,
  DecisionLogQuery,
  DecisionRecord,
  ErasureReport,
  FoldResult,
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
  StoredCatalog,
  StoredModel,
  TallyKey,
  TimelineCursor,
  TimelineEntry,
  TimelineQuery,
  TriggerJob,
  TriggerJobInput,
} from './records.ts';

export * from './records.ts';

/** One outbound message as a customer's data export shows it. */
export interface CustomerOutbound {
  id: number;
  decisionId: string;
  channel: string;
  status: OutboundStatus;
  createdAt: number;
  doneAt: number | null;
  message: unknown;
}

/** Opening and closing. */
export interface Lifecycle {
  /** Creates or migrates the schema. */
  init(): Promise<void>;
  close(): Promise<void>;
  /**
   * Checks that the store can serve: it answers, accepts a small write (a full disk or a read-only file
   * fails it), and for a file, that it is still the file that was opened (a replaced one is reopened). Throws
   * StoreUnavailableError (or the driver's error) when it cannot.
   */
  probe(): Promise<void>;
}

/** One entry of the append-only audit trail. */
export interface AuditEntry {
  seq: number;
  at: number;
  /** The id of the key that made the change (null: the CLI or a key from before key ids). */
  keyId: string | null;
  requestId: string | null;
  /** What was done, e.g. `catalog.put`, `catalog.patch`, `customer.erase`, `customer.export`. */
  action: string;
  /** What it was done to, e.g. `catalog v7`, `customer C00042`. */
  target: string;
  summary: string;
}

/**
 * The audit entry of a change, made from its result inside the change's transaction (so that the change and its
 * entry are stored together or not at all); undefined: nothing to record.
 */
export type AuditOf<T> = (result: T) => Omit<AuditEntry, 'seq'> | undefined;

/** The audit trail: appended to, never changed (the schema refuses updates and deletes). */
export interface AuditRepository {
  appendAudit(entry: Omit<AuditEntry, 'seq'>): Promise<void>;
  /** Newest first; `before` pages with the last seq seen. */
  auditLog(query: {
    limit: number;
    before?: number | undefined;
    action?: string | undefined;
    from?: number | undefined;
    to?: number | undefined;
  }): Promise<AuditEntry[]>;
}

/** A managed API key as stored: its SHA-256 digest only, never the key. Times are epoch ms. */
export interface ApiKeyRecord {
  /** The digest's first 8 bytes in hex: stable, and what the audit trail and rate limits name the key by. */
  id: string;
  /** SHA-256 of the key, hex. */
  digest: string;
  label: string;
  scopes: string[];
  createdAt: number;
  /** When the key stops working by its own terms (set at creation), or null. */
  expiresAt: number | null;
  /** When the key stops (stopped) working because it was revoked or rotated (after a grace period), or null. */
  revokedAt: number | null;
  /** The key that replaced it by rotation. */
  replacedBy: string | null;
  /** A publishable key's origins (https://shop.example.com) and channels; null for other keys. */
  origins: string[] | null;
  channels: string[] | null;
}

/** One change to the managed keys, applied with its audit entry in one transaction. */
export interface ApiKeyChange {
  insert?: ApiKeyRecord;
  /** Ends a key at `at` (now, or later for a rotation's grace period); only a key still working then. */
  revoke?: {
    id: string;
    at: number;
    replacedBy?: string;
    /** Refuse when no other admin key would still be working (the last way in). */
    keepAnAdmin?: boolean;
  };
  audit: Omit<AuditEntry, 'seq'>;
}

export type KeyChangeVerdict = 'ok' | 'not found' | 'last admin' | 'exists';

/** Managed API keys (`nextbest keys`, `/v1/keys`); every process reads them every second or so. */
export interface KeyRepository {
  apiKeys(): Promise<ApiKeyRecord[]>;
  /**
   * Applies the change and appends its audit entry, all or nothing: `not found` when the key to revoke does not
   * exist or no longer works, `last admin` when `keepAnAdmin` is set and it is the last working admin key,
   * `exists` when the key to insert is there already.
   */
  changeApiKeys(change: ApiKeyChange, now: number): Promise<KeyChangeVerdict>;
}

/** A period in which a process ran without its store (degraded mode), epoch ms. */
export interface DegradedPeriod {
  from: number;
  to: number;
  reason: string;
}

/** Periods in which a process ran degraded (its store unavailable), for the KPIs. */
export interface HealthRepository {
  recordDegradedPeriod(period: DegradedPeriod): Promise<void>;
  /** Periods that overlap [from, to), oldest first. */
  degradedPeriods(from: number, to: number): Promise<DegradedPeriod[]>;
}

/** Customer profiles (and their erasure). */
export interface CustomerRepository {
  getCustomer(id: string): Promise<Customer | undefined>;
  putCustomer(
    id: string,
    attributes: Attributes,
    now: number,
  ): Promise<{ customer: Customer; created: boolean }>;
  /** GDPR erasure: the profile, its decisions, their outcomes and the interaction history. */
  deleteCustomer(id: string, audit?: AuditOf<ErasureReport>): Promise<ErasureReport>;
  countCustomers(): Promise<number>;
}

/** Catalog versions. */
export interface CatalogRepository {
  activeCatalog(): Promise<StoredCatalog | undefined>;
  getCatalog(version: number): Promise<StoredCatalog | undefined>;
  listCatalogs(): Promise<Array<Omit<StoredCatalog, 'source'>>>;
  /**
   * Stores a new version and makes it the active one; older versions are kept. The same content (hash) as the
   * active version keeps that version (two processes starting on an empty database store one version).
   * `audit` describes a new version for the audit trail, written in the same transaction.
   */
  addCatalog(
    source: string,
    hash: string,
    now: number,
    audit?: AuditOf<StoredCatalog>,
  ): Promise<StoredCatalog>;
}

/** Customer events, their derived features and the trigger jobs they fire. */
export interface EventRepository {
  /**
   * Stores events and, in the same transaction, updates each customer's derived-feature state with `apply`
   * (called once per event, in the given order), so concurrent writers never lose an update.
   */
  appendEvents(
    events: readonly CustomerEvent[],
    receivedAt: number,
    /** Updates the state; the triggers it returns are stored as jobs in the same transaction. */
    apply: (state: CustomerFeatureState, event: CustomerEvent) => readonly TriggerJobInput[] | undefined,
    /** A setting written in the same transaction (an import's resume point). */
    setting?: { key: string; value: string },
  ): Promise<{ seqs: number[]; jobs: TriggerJob[] }>;
  /**
   * Claims trigger jobs created before `createdBefore`, not yet settled and not claimed by a lease still running,
   * oldest first, for `leaseMs`: two processes recovering at once never take the same job.
   */
  claimTriggerJobs(query: {
    createdBefore: number;
    limit: number;
    now: number;
    leaseMs: number;
  }): Promise<TriggerJob[]>;
  /** Settles trigger jobs that end without a decision (their condition was false, they failed, …). */
  finishTriggerJobs(ids: readonly number[]): Promise<void>;
  /**
   * Recomputes every customer's derived-feature state from the stored events (oldest first per customer), in
   * one transaction: readers see the old states or the new ones. Returns the number of events replayed.
   */
  rebuildFeatureStates(apply: (state: CustomerFeatureState, event: CustomerEvent) => void): Promise<number>;
  /** A customer's derived-feature state ({} when none). */
  featureState(customerId: string): Promise<CustomerFeatureState>;
}

/** Decisions with what they reserve: interaction history, budgets, the decision log. */
export interface DecisionRepository {
  /** Interaction history since `since` (epoch ms), plus every acceptance ever when `acceptsForever`. */
  loadHistory(customerId: string, since: number, acceptsForever: boolean): Promise<InteractionRecord[]>;
  /** How often each action was chosen on `day` (days since epoch, UTC) and in total. */
  budgetUsage(actionIds: readonly string[], day: number): Promise<Map<string, BudgetUsage>>;
  /**
   * Logs a decision, writes a contact line per chosen action, counts budgets and queues its outbound message
   * (triggered decisions), in one transaction; with `reserve`, only when every budget and cap still allows it
   * at commit time (checked in the same transaction, so decisions made at the same time, in this process or
   * another, never overrun a limit). A refused commit writes nothing and says which actions were refused.
   */
  commitDecision(commit: DecisionCommit): Promise<CommitResult>;
  getDecision(id: string): Promise<DecisionRecord | undefined>;
  /**
   * Retention: deletes up to `limit` of the oldest decisions logged before `before` (epoch ms) with their
   * choices, outcomes and outbound messages. A decision stays while an outcome of it is learned but not yet
   * folded into the stored models, or while its outbound message is still to be delivered. The interaction
   * history (contact policies) and the stored models keep what the decisions taught.
   */
  sweepDecisions(before: number, limit: number): Promise<RetentionSweep>;
  /** The newest logged decisions, newest first (the dashboard's decision list). */
  recentDecisions(
    limit: number,
  ): Promise<Array<Extract<TimelineEntry, { kind: 'decision' }> & { customerId: string | null }>>;
}

/** The outbound queue of triggered decisions. */
export interface OutboundRepository {
  /** Claims due outbound messages (pending, or claimed with an expired lease), oldest first. */
  claimOutbound(query: ClaimQuery): Promise<OutboundItem[]>;
  /** Marks a claimed message delivered. */
  ackOutbound(id: number, claimToken: string, now: number): Promise<OutboundSettle>;
  /** Gives a claimed message back, to be claimed again from `retryAt` (a failed delivery). */
  releaseOutbound(id: number, claimToken: string, retryAt: number, error: string): Promise<OutboundSettle>;
  /** Number of outbound messages by channel and status. */
  outboundCounts(): Promise<Array<{ channel: string; status: OutboundStatus; count: number }>>;
  /** A customer's outbound messages, oldest first (for a data export). */
  outboundForCustomer(customerId: string): Promise<CustomerOutbound[]>;
}

/** Outcomes: idempotent, with the rule of which one teaches the model. */
export interface OutcomeRepository {
  outcomesForDecision(id: string): Promise<OutcomeRecord[]>;
  /** Idempotent on (decision, action, outcome): a repeat returns the first record with `duplicate: true`. */
  recordOutcome(outcome: NewOutcome): Promise<{ record: OutcomeRecord; duplicate: boolean }>;
  /** Chosen actions of decisions made in (from, to] that no outcome has taught the model yet, oldest first. */
  openChoices(from: number, to: number, limit: number): Promise<OpenChoice[]>;
  /** Learned outcomes after a sequence number, oldest first, to replay into models after a restart. */
  learnedOutcomesAfter(seq: number, limit: number): Promise<LearnedOutcome[]>;
}

/** Model states, kept in step with the outcome log (src/engine/models.ts). */
export interface ModelRepository {
  /** The stored models, the generation they are at, and the last learned outcome folded into them. */
  loadModels(): Promise<{ models: StoredModel[]; generation: number; maxSeq: number }>;
  /**
   * Folds the learned outcomes not folded yet into the stored models, in one transaction that no other fold (in
   * this process or another) runs beside: `quick` or else `replay` returns the states to write, which are stored
   * with the next generation while those outcomes are marked folded. See src/engine/models.ts.
   */
  foldModels(fold: ModelFold): Promise<FoldResult>;
}

/** Reads for measurement: facts only; what they mean is src/measure/. */
export interface ReportingQueries {
  /**
   * A customer's events, decisions and outcomes, newest first (ties: outcome, event, decision); `next` resumes
   * after the last entry, undefined on the last page.
   */
  timeline(query: TimelineQuery): Promise<{ entries: TimelineEntry[]; next?: TimelineCursor }>;
  /** Per channel and customer: actions chosen for them (contacts) in [from, to). */
  contactCounts(
    from: number,
    to: number,
  ): Promise<Array<{ channel: string; customerId: string; contacts: number }>>;
  /** Messages triggers queued in [from, to), with when each outcome type was first reported. */
  triggerJourneys(from: number, to: number): Promise<OutboundJourney[]>;
  /**
   * Events of a type that happened in [from, to), each with the action most recently chosen for the customer
   * within `attributionMs` before it (null: none).
   */
  eventsWithLastAction(
    type: string,
    from: number,
    to: number,
    attributionMs: number,
  ): Promise<Array<{ at: number; channel: string | null; payload: Attributes; actionId: string | null }>>;
  /**
   * Choices made in [from, to), tallied by the given dimensions and outcome flags; with `bucketMs` also by time
   * bucket (key `bucket`: the bucket's start, epoch ms). Ordered by the dimensions.
   */
  choiceTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<ChoiceTally[]>;
  /** Decisions in [from, to) that chose at least one action, by the same groups as `choiceTallies`. */
  decisionTallies(
    from: number,
    to: number,
    by: readonly KpiDimension[],
    bucketMs?: number,
  ): Promise<Array<{ key: TallyKey; decisions: number }>>;
  /** Logged choices in [from, to) in time order, optionally of one action, with what happened to them. */
  choiceLog(query: ChoiceLogQuery): Promise<ChoiceLogRow[]>;
  /** Logged decisions in [from, to) in time order with what happened to their chosen actions (for replay). */
  decisionLog(query: DecisionLogQuery): Promise<LoggedDecision[]>;
  /** Number of logged decisions in [from, to). */
  decisionCount(from: number, to: number): Promise<number>;
  /** The time of the n-th latest decision before `to` (n ≥ 1): [it, to) holds the latest n; undefined if fewer. */
  nthLatestDecisionAt(to: number, n: number): Promise<number | undefined>;
}

/** Small named values (resume points, declarations seen, key digests). */
export interface SettingsRepository {
  getSetting(key: string): Promise<string | undefined>;
  setSetting(key: string, value: string): Promise<void>;
  /**
   * Stores `value` under `key` unless the key has a value already; answers the value that is stored (one of
   * several processes setting it at once wins, and all of them learn which value that is).
   */
  setSettingOnce(key: string, value: string): Promise<string>;
}

/**
 * The whole store: one object per database whose parts are the repositories above. Callers depend on the parts
 * they use (measurement on ReportingQueries, the model registry on ModelRepository, …); each dialect implements
 * all of them, and the shared store suite runs every method on every dialect.
 */
export interface Store
  extends Lifecycle,
    CustomerRepository,
    CatalogRepository,
    EventRepository,
    DecisionRepository,
    OutboundRepository,
    OutcomeRepository,
    ModelRepository,
    ReportingQueries,
    SettingsRepository,
    HealthRepository,
    AuditRepository,
    KeyRepository {}
