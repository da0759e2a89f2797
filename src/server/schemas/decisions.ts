// Wire schemas of decisions: the decide request and answer, outcomes, logged decisions and their explanations.
import { z } from 'zod';
import { ARMS } from '../../core/arms.ts';
import { treatmentSchema } from '../../core/catalogSchema.ts';
import { DROP_CODES, RANK_CODES } from '../../core/reasons.ts';
import { DROP_STAGES, OUTCOME_TYPES, RECORDED_OUTCOMES } from '../../core/types.ts';
import { amount, attributes, id, storedAttributes } from './common.ts';

const measurementArm = z
  .enum(ARMS)
  .describe(
    'Measurement arm: adaptive (models), control (uniform random among eligible actions) or businessRule (highest lever × value).',
  );

export const decideBody = z
  .strictObject({
    customerId: id.optional().describe('Known customer; omit for an anonymous visitor.'),
    customerToken: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe(
        "A known customer as a token the site's backend signed (JWT, HS256, `sub` the customer id, with `exp`): what web pages send instead of customerId.",
      ),
    channel: z.string().min(1).max(100).describe('One of the catalog channels, e.g. web, app, call-centre.'),
    context: attributes.optional().describe('Placement and intent, visible to rules as context.*'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(100)
      .optional()
      .describe('How many actions are wanted (default from catalog).'),
    explain: z
      .boolean()
      .optional()
      .describe('Also return the explanation of every candidate (as GET /v1/decisions/{id}/explain).'),
  })
  .meta({ id: 'DecideRequest' });

// The catalog's own treatment schema; loose in answers, since decisions logged under an older release may carry
// keys treatments no longer accept.
const treatment = treatmentSchema.loose();

export const chosenAction = z.object({
  actionId: z.string(),
  name: z.string(),
  description: z.string(),
  issue: z.string(),
  group: z.string(),
  treatment,
  rank: z.number().int(),
  propensity: z.number().describe('Model probability that the customer accepts.'),
  value: z.number(),
  contextWeight: z.number(),
  lever: z.number(),
  priority: z.number().describe('propensity × value × contextWeight × lever'),
  probability: z.number().describe('Probability with which this action was chosen for this slot.'),
});

export const decisionExplanation = z
  .object({
    decisionId: z.string(),
    arm: z.enum(ARMS),
    modelVersion: z.string().describe('Model version the decision was made with.'),
    explainedWith: z
      .string()
      .describe(
        'Model version the feature contributions come from: the deciding one inline, the current one later (scores are always the logged ones).',
      ),
    candidates: z.array(
      z.object({
        actionId: z.string(),
        status: z
          .enum(['chosen', 'notChosen', 'dropped'])
          .describe('chosen; notChosen: scored but ranked out; dropped: filtered before scoring.'),
        reason: z.string().describe('One readable sentence, in the language of Accept-Language (en, de).'),
        code: z
          .enum([...RANK_CODES, ...DROP_CODES])
          .describe(
            'The reason as a stable code, whatever the language (text: logged as a sentence by an older release).',
          ),
        stage: z.enum(DROP_STAGES).optional().describe('Dropped: the rule or policy stage that dropped it.'),
        rank: z.number().int().optional().describe('Chosen: its slot.'),
        priorityRank: z
          .number()
          .int()
          .optional()
          .describe('Position by priority among the scored candidates.'),
        propensity: z.number().optional(),
        value: z.number().optional(),
        contextWeight: z.number().optional(),
        lever: z.number().optional(),
        priority: z.number().optional(),
        probability: z.number().optional().describe('Chosen: probability of being put in its slot.'),
        evidence: z.number().optional().describe('Responses behind the propensity.'),
        features: z
          .array(
            z.object({
              name: z.string(),
              value: z.union([z.number(), z.string(), z.boolean(), z.null()]).optional(),
              contribution: z.number().describe('Change of the log-odds caused by this feature.'),
            }),
          )
          .optional()
          .describe('The features that moved the propensity most, largest first.'),
      }),
    ),
  })
  .meta({ id: 'DecisionExplanation' });

export const decideResponse = z
  .object({
    decisionId: z.string(),
    customerId: z.string().nullable(),
    channel: z.string(),
    catalogVersion: z.number().int(),
    modelVersion: z.string(),
    arm: measurementArm,
    actions: z.array(chosenAction),
    explanation: decisionExplanation.optional().describe('With explain: true.'),
    degraded: z
      .boolean()
      .optional()
      .describe(
        'True while the store is unavailable: answered from cached profiles and models, only actions safe for degraded mode, not logged.',
      ),
  })
  .meta({ id: 'Decision' });

export const outcomeBody = z
  .strictObject({
    decisionId: id,
    actionId: id,
    outcome: z.enum(OUTCOME_TYPES),
    value: amount.optional().describe('Monetary value, e.g. of a conversion.'),
  })
  .meta({ id: 'OutcomeRequest' });

const outcomeRecord = z.object({
  actionId: z.string(),
  outcome: z
    .enum(RECORDED_OUTCOMES)
    .describe('expired: the response window passed without an answer (a negative).'),
  value: z.number().optional(),
  at: z.string().describe('ISO 8601 time the outcome was recorded.'),
});

export const outcomeResponse = z
  .object({
    decisionId: z.string(),
    duplicate: z.boolean().describe('True when the same outcome was already recorded; it counts once.'),
    outcome: outcomeRecord,
  })
  .meta({ id: 'OutcomeAck' });

export const decisionParams = z.object({ id });
export const customerParams = z.object({ id });

export const decisionRecordResponse = z
  .object({
    decisionId: z.string(),
    customerId: z.string().nullable(),
    channel: z.string(),
    context: storedAttributes,
    at: z.string(),
    catalogVersion: z.number().int(),
    modelVersion: z.string(),
    arm: measurementArm,
    actions: z.array(
      z.object({
        actionId: z.string(),
        issue: z.string(),
        group: z.string(),
        rank: z.number().int(),
        probability: z.number(),
        propensity: z.number(),
        priority: z.number(),
        treatment,
      }),
    ),
    candidates: z.array(
      z.object({
        actionId: z.string(),
        issue: z.string(),
        group: z.string(),
        propensity: z.number(),
        value: z.number(),
        contextWeight: z.number(),
        lever: z.number(),
        priority: z.number(),
      }),
    ),
    dropped: z.array(
      z.object({
        actionId: z.string(),
        stage: z.enum(DROP_STAGES),
        code: z.enum(DROP_CODES).describe('The reason as a stable code, whatever the language.'),
        reason: z.string().describe('The reason as a sentence, in the language of Accept-Language (en, de).'),
      }),
    ),
    outcomes: z.array(outcomeRecord),
  })
  .meta({ id: 'LoggedDecision' });

export const recentDecisionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
});

export const recentDecisionsResponse = z.object({
  decisions: z.array(
    z.object({
      decisionId: z.string(),
      customerId: z.string().nullable(),
      channel: z.string(),
      at: z.string(),
      arm: z.enum(ARMS),
      actions: z.array(z.string()),
      trigger: z.string().optional().describe('The trigger that made it, if one did.'),
    }),
  ),
});
