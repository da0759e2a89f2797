// The records the store keeps and returns: what every dialect reads and writes (the contract is store.ts).

import type { Arm } from '../core/arms.ts';
import type { CapCheck } from '../core/contactPolicy.ts';
import type { CustomerEvent } from '../core/events.ts';
import type { ModelState } from '../core/modelSet.ts';
import type {
  Attributes,
  DroppedCandidate,
  InteractionRecord,
  RecordedOutcome,
  ScoredCandidate,
  Treatment,
} from '../core/types.ts';
import type { FeatureValue } from '../learn/learner.ts';

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
    check: CapCheck;
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
  /**
   * The generation of the fold that taught it to the stored models (0: the next fold will). The stored models
   * learned in the order of generation, then sequence number; on PostgreSQL, which folds in commit order, that
   * may differ from sequence order.
   */
  foldedIn: number;
  /** This late positive takes back an expiry that a fold had taught the stored models (so a replay must, too). */
  correctsFolded: boolean;
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

/**
 * The code of the error recordOutcome throws when the decision is no longer stored (erased or past retention
 * since the caller read it): checked inside the transaction, so no outcome is stored without its decision.
 */
export const DECISION_GONE = 'NB_STORE_DECISION_GONE';

export function decisionGone(id: string): Error {
  return Object.assign(new Error(`decision '${id}' is no longer stored`), { code: DECISION_GONE });
}

/** What one retention sweep of the decision log removed. */
export interface RetentionSweep {
  decisions: number;
  outcomes: number;
  outbound: number;
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

/**
 * A learned outcome as a fold replays it (`foldedIn` > 0: in the stored models already, so replayed only into
 * models being rebuilt).
 */
export type FoldOutcome = LearnedOutcome;

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

/** A model as stored (defined with the models, src/core/modelSet.ts). */
export type StoredModel = ModelState;
