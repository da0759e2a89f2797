// What the engine's callers (routes, the CLI, the demo) send and get back.

import type { Arm } from '../core/arms.ts';
import type { CandidateExplanation } from '../core/explain.ts';
import type { Attributes, ChosenAction, OutcomeType } from '../core/types.ts';
import type { RetentionOptions } from './retention.ts';
import type { WebhookOptions } from './webhook.ts';

/** What a trigger did with one event. */
export interface TriggeredDecision {
  trigger: string;
  /** The firing event's index in the request and its sequence number. */
  index: number;
  eventSeq: number;
  customerId: string;
  decisionId?: string;
  /** The chosen actions (none when contact policies or rules left nothing to send). */
  actions?: string[];
  /** Whether a message went to the outbound queue. */
  queued?: boolean;
  /** Why no decision was made. */
  skipped?: string;
}

export interface EngineOptions {
  clock?: () => number;
  /** Seed of the exploration random source; a random seed when omitted. */
  seed?: number;
  /** How often dirty model states are written to the store (ms). Outcomes are durable anyway. */
  checkpointMs?: number;
  /** How often response windows are swept for expired choices (ms); 0 turns the sweep off. */
  expiryMs?: number;
  /** Push outbound messages to a webhook instead of (for its channels) the pull queue. */
  webhook?: WebhookOptions;
  /**
   * How often trigger jobs left open by a stopped process are run (ms; 0: only when the engine opens), and how
   * old a job must be to count as left (ms): a running request settles its own jobs within milliseconds.
   */
  triggerRecoveryMs?: number;
  triggerRecoveryAgeMs?: number;
  /** Store probe interval while healthy (ms, default 5000; 0: no periodic probe), see storeHealth.ts. */
  healthProbeMs?: number;
  /** Store probe interval while degraded (ms, default 1000). */
  degradedProbeMs?: number;
  /** Retention of the decision log (none: decisions are kept until their customer is erased). */
  retention?: RetentionOptions | undefined;
  /** Where the engine reports what an operator should know (default: stderr). */
  log?: (line: string) => void;
}

export interface DecideRequest {
  customerId?: string | undefined;
  channel: string;
  context?: Attributes | undefined;
  limit?: number | undefined;
  /** Also return why each candidate was chosen, ranked out or dropped (computed with the deciding models). */
  explain?: boolean | undefined;
  /**
   * Languages the caller reads, best first (primary subtags: de, fr): treatments, names and descriptions come in
   * the first the catalog translates an action into, the explanation's sentences in the first nextbest speaks.
   */
  languages?: readonly string[] | undefined;
}

export interface DecisionExplanation {
  decisionId: string;
  arm: Arm;
  /** The model version the decision was made with. */
  modelVersion: string;
  /**
   * The model version the feature contributions were computed with: the same as `modelVersion` inline in a
   * decision; later, the current models (they may have learned since; scores are always the logged ones).
   */
  explainedWith: string;
  candidates: CandidateExplanation[];
}

export interface DecisionResponse {
  decisionId: string;
  customerId: string | null;
  channel: string;
  catalogVersion: number;
  modelVersion: string;
  /** The measurement arm: adaptive, control (random) or businessRule. */
  arm: Arm;
  actions: Array<ChosenAction & { name: string; description: string }>;
  explanation?: DecisionExplanation;
  /**
   * True when the store was unavailable: the answer comes from what the process has cached, only actions safe
   * for degraded mode, and it is not logged (outcomes for it are unknown).
   */
  degraded?: boolean;
}

/** One customer event as callers send it (`timestamp` already parsed to epoch ms). */
export interface EventInput {
  customerId: string;
  type: string;
  at: number;
  channel?: string | undefined;
  payload?: Attributes | undefined;
}

export interface OutcomeRequest {
  decisionId: string;
  actionId: string;
  outcome: OutcomeType;
  value?: number | undefined;
}
