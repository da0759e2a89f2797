// The one storage interface. It is async so that a networked database (PostgreSQL) fits behind it without
// changing callers; the embedded SQLite adapter is the default.

import type { Arm } from '../core/arms.ts';
import type { CustomerEvent, CustomerFeatureState } from '../core/events.ts';
import type {
  Attributes,
  BudgetUsage,
  Customer,
  DroppedCandidate,
  InteractionRecord,
  RecordedOutcome,
  ScoredCandidate,
  Treatment,
} from '../core/types.ts';
import type { FeatureValue, LearnerState } from '../learn/learner.ts';

export interface StoredCatalog {
  /** Sequential version number assigned by the store. */
  version: number;
  /** Content hash of the validated definition. */
  hash: string;
  /** The text as submitted (YAML or JSON). */
  source: string;
  createdAt: number;
  active: boolean;
}

export interface LoggedChoice {
  actionId: string;
  issue: string;
  group: string;
  rank: number;
  probability: number;
  propensity: number;
  priority: number;
  treatment: Treatment;
}

export interface DecisionRecord {
  id: string;
  customerId: string | null;
  channel: string;
  context: Attributes;
  at: number;
  catalogVersion: number;
  modelVersion: string;
  /** The measurement arm the decision was made in. */
  arm: Arm;
  features: Record<string, FeatureValue>;
  candidates: ScoredCandidate[];
  dropped: DroppedCandidate[];
  chosen: LoggedChoice[];
  /** Shadow mode: what the candidate policy would have done for the first slot. */
  shadow?: ShadowRecord;
  /** Set when a trigger made this decision: which one and the event that fired it. */
  trigger?: TriggerRef;
}

export interface DecisionCommit {
  decision: DecisionRecord;
  contacts: readonly InteractionRecord[];
  outbound?: OutboundMessage | undefined;
  /** The trigger job this decision settles, removed in the same transaction. */
  settlesJob?: number | undefined;
  reserve?: Reservation | undefined;
}

/** Limits a decision's commit reserves. */
export interface Reservation {
  /** The chosen actions that have a budget, with its limits (the day is the decision's UTC day). */
  budgets: ReadonlyArray<{ actionId: string; maxPerDay?: number | undefined; total?: number | undefined }>;
  /**
   * Caps on the customer's contacts: the history they read (as `loadHistory`), and the pure check that names the
   * chosen actions a cap no longer allows given that history.
   */
  caps?: {
    since: number;
    acceptsForever: boolean;
    violations: (history: readonly InteractionRecord[]) => string[];
  };
}

export type CommitResult =
  | { committed: true }
  | {
      committed: false;
      /** Chosen actions whose budget was used up meanwhile. */
      budgets: string[];
      /** Chosen actions a contact cap no longer allows. */
      caps: string[];
    };

export interface TriggerRef {
  id: string;
  eventSeq: number;
  eventType: string;
  /** When the event happened (epoch ms). */
  eventAt: number;
}

/**
 * A trigger that fired on a stored event, written in the events' transaction and kept until its decision is
 * logged (or it is settled without one): a crash between the two leaves the job for recovery, not a lost trigger.
 */
export interface TriggerJob {
  id: number;
  eventSeq: number;
  trigger: string;
  customerId: string;
  event: { type: string; at: number; channel?: string; payload: Attributes };
  /** The customer's derived features as the event left them (what the trigger's condition reads). */
  features: Attributes;
  createdAt: number;
}

export type TriggerJobInput = Pick<TriggerJob, 'trigger' | 'features'>;

/** One entry of a customer's timeline: something that happened to them, or something we did. */
export type TimelineEntry =
  | {
      kind: 'event';
      at: number;
      seq: number;
      type: string;
      channel: string | null;
      payload: Attributes;
    }
  | {
      kind: 'decision';
      at: number;
      decisionId: string;
      channel: string;
      arm: Arm;
      actions: string[];
      trigger?: TriggerRef;
    }
  | {
      kind: 'outcome';
      at: number;
      seq: number;
      decisionId: string;
      actionId: string;
      outcome: RecordedOutcome;
      value: number | null;
      channel: string | null;
    };

export type TimelineKind = TimelineEntry['kind'];

/** Where a timeline page starts: strictly older than this entry. */
export interface TimelineCursor {
  at: number;
  kind: TimelineKind;
  key: string;
}

export interface TimelineQuery {
  customerId: string;
  limit: number;
  before?: TimelineCursor;
  kinds?: readonly TimelineKind[];
  from?: number;
  to?: number;
}

/** A triggered decision's message for an outbound channel. */
export interface OutboundMessage {
  decisionId: string;
  customerId: string;
  channel: string;
  trigger: TriggerRef;
  actions: Array<{
    actionId: string;
    name: string;
    issue: string;
    group: string;
    rank: number;
    treatment: Record<string, unknown>;
  }>;
  createdAt: number;
}

/** A message a trigger queued, with when each outcome type was first reported for its decision. */
export interface OutboundJourney {
  trigger: string;
  channel: string;
  status: OutboundStatus;
  eventAt: number;
  createdAt: number;
  firstAt: Partial<Record<ChoiceFlag, number>>;
}

export type OutboundStatus = 'pending' | 'claimed' | 'done' | 'failed';

/** A claimed outbound message: the consumer acknowledges it with `claimToken` before `leaseUntil`. */
export interface OutboundItem extends OutboundMessage {
  id: number;
  status: OutboundStatus;
  attempts: number;
  claimToken: string;
  leaseUntil: number;
  lastError: string | null;
}

export interface ClaimQuery {
  /** One channel, or every channel when omitted. */
  channels?: readonly string[];
  limit: number;
  leaseMs: number;
  now: number;
  /** Messages claimed this often without an acknowledgement are given up (status `failed`). */
  maxAttempts: number;
}

/** What became of an acknowledgement or a release. */
export type OutboundSettle = 'ok' | 'unknown' | 'not_claimed' | 'wrong_token';

export interface ShadowRecord {
  /** The candidate policy's name. */
  policy: string;
  /** Its own draw for the first slot. */
  choice: string;
  /** Its probability of the action production put in the first slot. */
  probability: number;
  /** Σ its probabilities × its propensities: its expected accept rate here. */
  expectedReward: number;
  /** Its propensity for production's first-slot action. */
  modelledReward: number;
}

export interface NewOutcome {
  decisionId: string;
  actionId: string;
  outcome: RecordedOutcome;
  value?: number | undefined;
  at: number;
  customerId: string | null;
  /**
   * Whether this outcome type teaches the model (positive or negative). The store marks it `learned` only
   * when no earlier outcome of the same decision and action taught it already.
   */
  teaches: boolean;
  /**
   * A positive outcome: when the response window already expired for this decision and action, the expiry
   * stops teaching (learned = false) and this outcome teaches instead, recording the expiry's seq in `corrects`.
   */
  positive?: boolean;
  /** The history line contact policies will see; absent for anonymous decisions. */
  interaction?: InteractionRecord | undefined;
}

export interface OutcomeRecord {
  seq: number;
  decisionId: string;
  actionId: string;
  outcome: RecordedOutcome;
  value?: number | undefined;
  at: number;
  learned: boolean;
  /** Sequence number of the expiry this late positive took back; 0 when none. */
  corrects: number;
}

/** A chosen action still waiting for a response. */
export interface OpenChoice {
  decisionId: string;
  actionId: string;
  customerId: string | null;
  at: number;
}

/** An outcome that taught the model, with what the model saw at decision time (for replay). */
export interface LearnedOutcome extends OutcomeRecord {
  features: Record<string, FeatureValue>;
}

/** What KPIs can be grouped by. */
export const KPI_DIMENSIONS = ['action', 'group', 'issue', 'channel', 'arm', 'day'] as const;
export type KpiDimension = (typeof KPI_DIMENSIONS)[number];

/** The outcome types a chosen action records as flags (the facts; what counts as positive is measure's rule). */
export const CHOICE_FLAGS = ['impression', 'click', 'accept', 'reject', 'convert', 'expired'] as const;
export type ChoiceFlag = (typeof CHOICE_FLAGS)[number];
export type ChoiceFlags = Record<ChoiceFlag, boolean>;

/** The grouping key of a tally: per dimension asked for (`group` is `issue/group`, `day` the UTC day number). */
export type TallyKey = Partial<Record<KpiDimension | 'bucket', string>>;

/** The chosen actions of one group that share one combination of outcome flags. */
export interface ChoiceTally {
  key: TallyKey;
  flags: ChoiceFlags;
  /** Whether their outcomes reported a non-zero value. */
  valued: boolean;
  /** Chosen actions (offers). */
  offers: number;
  /** Σ of the actions' values at decision time. */
  value: number;
  /** Σ of the values reported with their outcomes. */
  outcomeValue: number;
}

/** One logged choice with what happened to it: the input of model reports and off-policy evaluation. */
export interface ChoiceLogRow {
  decisionId: string;
  actionId: string;
  arm: string;
  channel: string;
  at: number;
  probability: number;
  propensity: number;
  value: number;
  /** What happened to it. */
  flags: ChoiceFlags;
}

export interface ChoiceLogQuery {
  from: number;
  to: number;
  actionId?: string | undefined;
  limit: number;
  /** Keyset paging: the last row of the previous page. */
  after?: { at: number; decisionId: string; actionId: string };
}

export interface DecisionLogQuery {
  from: number;
  to: number;
  limit: number;
  /** Keyset paging: the last decision of the previous page. */
  after?: { at: number; id: string };
}

/** A logged decision with what happened to each chosen action. */
export interface LoggedDecision extends DecisionRecord {
  answers: Record<string, ChoiceFlags>;
}

export interface ErasureReport {
  customer: boolean;
  decisions: number;
  outcomes: number;
  interactions: number;
  events: number;
}

/** A stored customer event. */
export interface StoredEvent extends CustomerEvent {
  seq: number;
  receivedAt: number;
}

/** A learned outcome as a fold replays it. */
export interface FoldOutcome extends LearnedOutcome {
  /** Folded into the stored models already (replayed only into models being rebuilt). */
  folded: boolean;
  /** The expiry this late positive corrects was folded (so the stored models must take it back). */
  correctsFolded: boolean;
}

export interface ModelFold {
  /** The generation the caller's models are at: stored models written after it are passed as `changed`. */
  since: number;
  /** Pass every learned outcome to `replay`, folded ones too (models are being rebuilt). */
  replayAll: boolean;
  /** Outcomes the caller learned live since its last fold: the result says which are still to be folded. */
  pending: readonly number[];
  /**
   * Sees what changed and the unfolded outcomes' sequence numbers (oldest first); returns the states to write
   * when it needs no replay, undefined otherwise.
   */
  quick(input: { changed: readonly StoredModel[]; unfolded: readonly number[] }): StoredModel[] | undefined;
  /** Replays the outcomes (oldest first) on top of the stored models; returns the states to write. */
  replay(input: { changed: readonly StoredModel[]; outcomes: Iterable<FoldOutcome> }): StoredModel[];
}

export interface FoldResult {
  /** The generation the stored models are at after the fold. */
  generation: number;
  /** The outcomes this fold marked folded. */
  folded: number[];
  /** The last learned outcome folded so far (by anyone). */
  maxSeq: number;
  /** Of `pending`, the outcomes still learned and not folded after this fold. */
  unsettled: number[];
}

export interface StoredModel {
  key: string;
  state: LearnerState;
}

/** Opening and closing. */
export interface Lifecycle {
  /** Creates or migrates the schema. */
  init(): Promise<void>;
  close(): Promise<void>;
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
  deleteCustomer(id: string): Promise<ErasureReport>;
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
   */
  addCatalog(source: string, hash: string, now: number): Promise<StoredCatalog>;
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
    SettingsRepository {}
