// Plain data shared by the core, the learners, the store and the server. No behaviour lives here.
import type { DropReason } from './reasons.ts';

/** A value a rule or a learner can see. Nested objects are allowed in profiles. */
export type Scalar = string | number | boolean | null;
export type AttributeValue = Scalar | AttributeValue[] | { [key: string]: AttributeValue };
export type Attributes = Record<string, AttributeValue>;

/** What the customer did with an action that was shown. */
export const OUTCOME_TYPES = ['impression', 'click', 'accept', 'reject', 'convert'] as const;
export type OutcomeType = (typeof OUTCOME_TYPES)[number];
/** Outcomes as logged: what customers did, plus `expired` when a response window passed in silence. */
export const RECORDED_OUTCOMES = [...OUTCOME_TYPES, 'expired'] as const;
export type RecordedOutcome = (typeof RECORDED_OUTCOMES)[number];

/** One line of a customer's interaction history, as contact policies see it. */
export interface InteractionRecord {
  /** `contact` is written when an action is chosen in a decision; the others come from outcomes. */
  kind: 'contact' | OutcomeType;
  actionId: string;
  issue: string;
  group: string;
  channel: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface Customer {
  id: string;
  attributes: Attributes;
  createdAt: number;
  updatedAt: number;
}

/** How often an action was chosen already, for budgets. */
export interface BudgetUsage {
  today: number;
  total: number;
}

/** What a touchpoint shows (catalogSchema.ts's treatmentSchema checks it). */
// A type, not an interface, so that it is assignable to the answers' loose treatment.
export type Treatment = {
  title: string;
  text?: string | undefined;
  link?: string | undefined;
  image?: string | undefined;
  data?: Record<string, string | number | boolean> | undefined;
};

/** The stages at which a candidate can be dropped, in the order a decision runs them. */
export const DROP_STAGES = [
  'limit',
  'trigger',
  'channel',
  'validity',
  'consent',
  'eligibility',
  'applicability',
  'suitability',
  'contactPolicy',
  'budget',
  'value',
] as const;

/** Why a candidate did not make it into the ranking. */
export interface DroppedCandidate {
  actionId: string;
  stage: (typeof DROP_STAGES)[number];
  /** A code and its parameters; `dropText` (core/reasons.ts) gives the sentence in a language. */
  reason: DropReason;
}

/** A candidate that passed all policies, with its scores. */
export interface ScoredCandidate {
  actionId: string;
  issue: string;
  group: string;
  propensity: number;
  value: number;
  contextWeight: number;
  lever: number;
  priority: number;
  /** Standard deviation of the model's log-odds (its uncertainty), for explorers that sample. */
  logitSd: number;
  /** Responses the action's model has learned from. */
  evidence: number;
}

export interface ChosenAction extends ScoredCandidate {
  rank: number;
  /** Probability with which the explorer put this action into this slot, given the earlier slots. */
  probability: number;
  treatment: Treatment;
}
