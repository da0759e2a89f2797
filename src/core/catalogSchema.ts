// The action catalog's file format (a zod schema: actions, channels, contact policies, arms, measurement, events)
// and the error that names every problem with its path.

import { z } from 'zod';
import { DEFAULT_EXPLORER, DEFAULT_LEARNER, EXPLORER_NAMES, LEARNER_NAMES } from '../learn/registry.ts';
import { eventsConfigSchema } from './events.ts';
import { policySpecSchema } from './policy.ts';
import { ATTRIBUTE_TYPES } from './rules.ts';

const identifier = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'use letters, digits, _ . : - (starting with a letter or digit)');

const attributeType = z.enum(ATTRIBUTE_TYPES);
const fieldSchema = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'not a valid field name'),
  attributeType,
);

const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO 8601 date');

/**
 * What a touchpoint shows. Strict: an unknown key is an error (a YAML flow map with an unquoted comma otherwise
 * cut the title and passed unseen); fields of a touchpoint's own go under `data`.
 */
export const treatmentSchema = z.strictObject({
  title: z.string().min(1),
  text: z.string().optional(),
  link: z.string().optional(),
  image: z.string().optional().describe('Address of an image the touchpoint shows with it.'),
  data: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe("A touchpoint's own fields (a button label, a script id), passed through as they are."),
});

/** A language as its primary subtag (ISO 639: en, de, fr), as Accept-Language headers are matched. */
export const languageSchema = z
  .string()
  .regex(/^[a-z]{2,3}$/, 'a language code such as en, de or fr (ISO 639, lower case)');

/**
 * An action's texts in another language: whatever is given replaces the catalog's own text for a caller who
 * reads that language (Accept-Language); what is left out stays as it is.
 */
const translationSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  treatments: z
    .record(z.string(), treatmentSchema.pick({ title: true, text: true, link: true, image: true }).partial())
    .optional()
    .describe(
      'Per channel: the treatment texts in this language (the channel needs a treatment of its own).',
    ),
});

const selectorSchema = z.strictObject({
  issue: z.string().optional(),
  group: z.string().optional(),
  action: z.string().optional(),
  /** Matches actions that carry at least one of these tags. */
  tags: z.array(z.string()).optional(),
});

const channelSchema = z.strictObject({
  id: identifier,
  name: z.string().optional(),
  direction: z.enum(['inbound', 'outbound']).default('inbound'),
});

/** The business's push on an action's priority: 1 is neutral, 0 switches it off, at most 100. */
export const leverSchema = z.number().finite().min(0).max(100);
/** How often an action may be chosen, per day and in total. */
export const budgetSchema = z.strictObject({
  maxPerDay: z.number().int().positive().optional(),
  total: z.number().int().positive().optional(),
});

const actionSchema = z.strictObject({
  id: identifier,
  name: z.string().min(1),
  description: z.string().default(''),
  issue: identifier,
  group: identifier,
  treatments: z.record(z.string(), treatmentSchema),
  /** The action's name, description and treatment texts in other languages than the catalog's `language`. */
  translations: z.record(languageSchema, translationSchema).optional(),
  value: z.union([z.number().finite(), z.string().min(1)]).default(1),
  validity: z.strictObject({ start: isoDate.optional(), end: isoDate.optional() }).optional(),
  lever: leverSchema.default(1),
  budget: budgetSchema.optional(),
  tags: z.array(z.string()).default([]),
  eligibility: z.string().optional(),
  applicability: z.string().optional(),
  suitability: z.string().optional(),
  /** Overrides learning.responseWindowHours for this action. */
  responseWindowHours: z.number().positive().optional(),
  /**
   * May be offered while the store is unavailable (degraded mode), when nothing can be logged and no contact
   * history, budget or cap can be checked: service actions, not offers with limits.
   */
  safeWhenDegraded: z.boolean().default(false),
});

const policyBase = {
  id: identifier,
  description: z.string().optional(),
  appliesTo: selectorSchema.optional(),
  /** Only contacts on these channels count, and the policy only applies on them. Default: all channels. */
  channels: z.array(z.string()).optional(),
  /** Which earlier interactions count together: the same action, its group, its issue or anything. */
  scope: z.enum(['action', 'group', 'issue', 'customer']).default('action'),
};

const contactPolicySchema = z.discriminatedUnion('type', [
  z.strictObject({
    ...policyBase,
    type: z.literal('maxContacts'),
    count: z.number().int().positive(),
    days: z.number().positive(),
    /** What counts as a contact: the action being chosen in a decision, or a reported impression. */
    countOn: z.enum(['decision', 'impression']).default('decision'),
  }),
  z.strictObject({ ...policyBase, type: z.literal('pauseAfterReject'), days: z.number().positive() }),
  z.strictObject({
    ...policyBase,
    type: z.literal('stopAfterAccept'),
    /** Omitted: never again. */
    days: z.number().positive().optional(),
  }),
]);

const contextWeightSchema = z.strictObject({
  id: z.string().optional(),
  channel: z.union([z.string(), z.array(z.string())]).optional(),
  when: z.string().optional(),
  appliesTo: selectorSchema.optional(),
  weight: z.number().finite().nonnegative(),
});

/**
 * Consent: the actions `appliesTo` selects may be offered on `channels` (default: every channel) only where
 * `requires` holds (CEL over customer.*, features.*, context.* and channel). Missing data is no consent: an
 * anonymous visitor or a profile without the attribute gets none of them. Dropped at stage `consent`.
 */
const consentSchema = z.strictObject({
  id: identifier,
  description: z.string().optional(),
  appliesTo: selectorSchema.default({}),
  channels: z.array(z.string()).min(1).optional(),
  requires: z.string().min(1),
});

const armSharesSchema = {
  /** Share of decisions in the random control arm (uniform among the eligible actions). */
  controlShare: z.number().min(0).max(0.5).optional(),
  /** Share of decisions in the business-rule arm (highest lever × value, no model). */
  businessRuleShare: z.number().min(0).max(0.5).optional(),
};

const measurementSchema = z
  .strictObject({
    ...armSharesSchema,
    /** Deprecated and ignored (with a warning): a customer's arm is the same on every channel. */
    channels: z.record(z.string(), z.strictObject(armSharesSchema)).default({}),
    /** A customer stays in the same arm for this many days. */
    stickyDays: z.number().positive().default(30),
    /** Salt of the assignment hash; change it to reshuffle the arms. */
    salt: z.string().default('nextbest'),
    /**
     * Shadow mode: a candidate policy (learner, explorer, levers) scored beside production on every decision
     * and taught the same outcomes; what it would have chosen is logged, production decides.
     */
    shadow: policySpecSchema.optional(),
  })
  .default({ channels: {}, stickyDays: 30, salt: 'nextbest' });

export const catalogFileSchema = z.strictObject({
  name: z.string().default('catalog'),
  description: z.string().optional(),
  /** The language the catalog's own texts are written in; actions' `translations` add others. */
  language: languageSchema.default('en'),
  /** The currency of action values (ISO 4217, e.g. EUR), for the pages to show them with; none: plain numbers. */
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as EUR')
    .optional(),
  channels: z.array(channelSchema).min(1),
  schema: z
    .strictObject({
      customer: fieldSchema.default({}),
      context: fieldSchema.default({}),
      features: fieldSchema.default({}),
    })
    .default({ customer: {}, context: {}, features: {} }),
  /** Optional descriptions of the hierarchy; actions name their issue and group. */
  issues: z
    .record(
      z.string(),
      z.strictObject({
        description: z.string().optional(),
        groups: z.record(z.string(), z.strictObject({ description: z.string().optional() })).optional(),
      }),
    )
    .optional(),
  actions: z.array(actionSchema).min(1),
  contactPolicies: z.array(contactPolicySchema).default([]),
  contextWeights: z.array(contextWeightSchema).default([]),
  consent: z.array(consentSchema).default([]),
  arbitration: z
    .strictObject({
      onePerGroup: z.boolean().default(true),
      defaultLimit: z.number().int().positive().default(3),
      maxLimit: z.number().int().positive().default(20),
    })
    .default({ onePerGroup: true, defaultLimit: 3, maxLimit: 20 }),
  /** Control groups: the arms every decision is assigned to (see src/core/arms.ts). */
  measurement: measurementSchema,
  /** Customer event types and the features derived from them (see src/core/events.ts). */
  events: eventsConfigSchema,
  /** Proactive service: when an event matches, decide for an outbound channel and queue the result. */
  triggers: z
    .array(
      z.strictObject({
        id: identifier,
        description: z.string().optional(),
        /** The event type that fires it. */
        event: z.string().min(1),
        /** CEL over event.*, customer.*, features.* (already updated by the event) and channel. */
        when: z.string().optional(),
        /** The outbound channel decided for. */
        channel: z.string().min(1),
        /** Only these actions may be chosen (default: any action with a treatment for the channel). */
        actions: selectorSchema.optional(),
        /** How many actions the triggered decision picks. */
        limit: z.number().int().positive().default(1),
        /** Context the triggered decision is made in (declared under schema.context). */
        context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
      }),
    )
    .default([]),
  learning: z
    .strictObject({
      positive: z.array(z.enum(['click', 'accept', 'convert'])).default(['click', 'accept', 'convert']),
      negative: z.array(z.enum(['reject'])).default(['reject']),
      /** The propensity learner of every action, unless an override picks another for its issue or group. */
      learner: z.enum(LEARNER_NAMES).default(DEFAULT_LEARNER),
      /** How the slots are filled from the priorities (the explorer records each choice's probability). */
      explorer: z.enum(EXPLORER_NAMES).default(DEFAULT_EXPLORER),
      /** For the epsilonGreedy explorer: the share of slots filled at random among eligible actions. */
      exploration: z.number().min(0).max(1).default(0.05),
      /**
       * One shared model for all actions (that no override takes out): it sees the action's id, group, issue and
       * tags as features beside the customer's, so a new action starts from what similar actions learned, and a
       * large catalog needs one model instead of one per action. Best with bayesianLogistic, whose pairwise
       * interactions learn customer × action effects.
       */
      shared: z.boolean().default(false),
      /** Per issue, group, action or tag: another learner, and/or one shared model for the matching actions. */
      overrides: z
        .array(
          z.strictObject({
            appliesTo: selectorSchema,
            learner: z.enum(LEARNER_NAMES).optional(),
            shared: z.boolean().optional(),
          }),
        )
        .default([]),
      /**
       * A chosen action with no positive or negative outcome this many hours after the decision counts as a
       * negative; a positive that arrives later takes that negative back. Omitted: no window.
       */
      responseWindowHours: z.number().positive().optional(),
      /** Forgetting for learners that support it: a response's weight halves after this many later responses. */
      halfLife: z.number().positive().optional(),
      /** Forgetting in time, for every learner: a response's weight halves after this many days. */
      halfLifeDays: z.number().positive().optional(),
    })
    .default({
      positive: ['click', 'accept', 'convert'],
      negative: ['reject'],
      learner: DEFAULT_LEARNER,
      explorer: DEFAULT_EXPLORER,
      exploration: 0.05,
      shared: false,
      overrides: [],
    }),
});

export type CatalogFile = z.infer<typeof catalogFileSchema>;
export type ActionDefinition = CatalogFile['actions'][number];
export type ContactPolicyDefinition = CatalogFile['contactPolicies'][number];
export type Selector = z.infer<typeof selectorSchema>;

export interface CatalogIssue {
  path: string;
  message: string;
}

/** A catalog that failed validation; `issues` name every problem with its path. */
export class CatalogError extends Error {
  constructor(readonly issues: CatalogIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('\n'));
    this.name = 'CatalogError';
  }
}
