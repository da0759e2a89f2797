// Wire schemas of the HTTP API (zod). They validate requests and feed the OpenAPI document.
import { z } from 'zod';
import { ARMS, BASELINE_ARMS } from '../core/arms.ts';
import { budgetSchema, catalogFileSchema, leverSchema, treatmentSchema } from '../core/catalogSchema.ts';
import { DATA_LIMITS, dataLimitIssue, ID_MAX_LENGTH } from '../core/limits.ts';
import { DROP_CODES, RANK_CODES } from '../core/reasons.ts';
import { type Attributes, DROP_STAGES, OUTCOME_TYPES, RECORDED_OUTCOMES } from '../core/types.ts';
import { MODEL_LIST_DECISIONS } from '../engine/modelReports.ts';
import { parseKpiDimensions } from '../measure/kpis.ts';
import { MATURITY_LEVELS, MATURITY_THRESHOLDS } from '../measure/modelQuality.ts';
import { OPE_ESTIMATORS } from '../measure/ope.ts';
import { KPI_DIMENSIONS } from '../store/store.ts';
import { ERROR_CODE_NAMES, errorCodeTable } from './errorCodes.ts';

const id = z.string().min(1).max(ID_MAX_LENGTH);

export const isoTime = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO 8601 date or date-time')
  .transform((v) => Date.parse(v));
/**
 * Free-form data from clients (contexts, profile attributes, event payloads), within DATA_LIMITS. Checked
 * iteratively: a recursive JSON schema would overflow the stack on hostile nesting before it could say why.
 */
const attributes = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    const issue = dataLimitIssue(value);
    if (issue) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .describe(
    `JSON object; at most ${DATA_LIMITS.depth} levels deep, ${DATA_LIMITS.listItems} items per list, ` +
      `${DATA_LIMITS.objectKeys} keys per object, ${DATA_LIMITS.stringLength} characters per string, numbers finite and at most ${DATA_LIMITS.maxNumber} in magnitude.`,
  ) as unknown as z.ZodType<Attributes>;
/** Stored free-form data in answers. */
const storedAttributes = z.record(z.string(), z.unknown());
/** Amounts clients send (values of outcomes): finite and bounded, so that sums of many stay finite. */
const amount = z.number().min(-DATA_LIMITS.maxNumber).max(DATA_LIMITS.maxNumber);

export const errorSchema = z
  .object({
    statusCode: z.number().int(),
    code: z
      .enum(ERROR_CODE_NAMES)
      .describe('Stable error code: branch on it, not on the message (the table in the description).'),
    error: z.string(),
    message: z.string(),
    field: z.string().optional(),
    issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({
    id: 'Error',
    description: `Every answer that is not a success has this shape.\n\n${errorCodeTable()}`,
    example: {
      statusCode: 400,
      code: 'NB_ERR_VALIDATION',
      error: 'Bad Request',
      message: 'body.channel: Invalid input',
      field: 'body.channel',
      issues: [{ field: 'body.channel', message: 'Invalid input' }],
    },
  });

export const healthResponse = z
  .object({
    status: z.enum(['ok', 'degraded']),
    reason: z.string().optional().describe('Why the server is degraded.'),
    since: z.string().optional().describe('When degraded mode began, ISO 8601.'),
    catalogVersion: z.number().int(),
    modelVersion: z.string(),
    uptimeSeconds: z.number().int(),
  })
  .meta({ id: 'Health' });

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
    arm: z
      .enum(ARMS)
      .describe(
        'Measurement arm: adaptive (models), control (uniform random among eligible actions) or businessRule (highest lever × value).',
      ),
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
    arm: z
      .enum(ARMS)
      .describe(
        'Measurement arm: adaptive (models), control (uniform random among eligible actions) or businessRule (highest lever × value).',
      ),
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

export const customerBody = z
  .strictObject({
    attributes: attributes.describe(
      'Profile attributes; declared ones are type-checked against the catalog schema.',
    ),
  })
  .meta({ id: 'CustomerRequest' });

export const customerResponse = z
  .object({
    id: z.string(),
    attributes: storedAttributes,
    features: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Derived features now (GET only): what rules see as features.*.'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Customer' });

const record = z.record(z.string(), z.unknown());
export const customerExportResponse = z
  .object({
    customerId: z.string(),
    exportedAt: z.string(),
    profile: record.nullable(),
    features: record,
    events: z.array(record),
    decisions: z
      .array(record)
      .describe('Each with its candidates, dropped actions and reasons, and outcomes.'),
    interactions: z.array(record).describe('The contact history contact policies read.'),
    outbound: z.array(record),
  })
  .meta({ id: 'CustomerExport' });

export const erasureResponse = z.object({
  id: z.string(),
  erased: z.object({
    customer: z.boolean(),
    decisions: z.number().int(),
    outcomes: z.number().int(),
    interactions: z.number().int(),
    events: z.number().int(),
  }),
});

export const eventSchema = z
  .strictObject({
    customerId: id,
    type: z.string().min(1).max(100).describe('A type declared under events.types in the catalog.'),
    timestamp: z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), 'expected an ISO 8601 date-time')
      .describe('When it happened, ISO 8601 (may be late: features are exact for out-of-order events).'),
    channel: z.string().min(1).max(100).optional(),
    payload: attributes.default({}).describe("Fields declared for the event's type."),
  })
  .meta({ id: 'Event' });

/** The largest batch one request may carry. */
export const MAX_EVENT_BATCH = 10_000;

export const eventsBody = z.union([
  eventSchema,
  z
    .array(eventSchema)
    .min(1, 'at least one event')
    .max(MAX_EVENT_BATCH, `at most ${MAX_EVENT_BATCH.toLocaleString('en')} events in one request`),
]);

export const eventsResponse = z
  .object({
    accepted: z.number().int().describe('Events stored (all of the request, or none on an error).'),
    seqs: z.array(z.number().int()).describe('Their sequence numbers, in request order.'),
    triggered: z
      .array(
        z.object({
          trigger: z.string(),
          index: z.number().int().describe('The firing event, by its position in the request.'),
          eventSeq: z.number().int(),
          customerId: z.string(),
          decisionId: z.string().optional(),
          actions: z.array(z.string()).optional().describe('Chosen actions (none: policies left nothing).'),
          queued: z.boolean().optional().describe('Whether a message went to the outbound queue.'),
          skipped: z.string().optional().describe('Why the trigger made no decision.'),
        }),
      )
      .describe('Triggers the events fired and the decisions they made.'),
  })
  .meta({ id: 'EventsAck' });

function triggerRefSchema() {
  return z.object({
    id: z.string(),
    eventSeq: z.number().int(),
    eventType: z.string(),
    eventAt: z.string().describe('When the firing event happened.'),
  });
}
const triggerRef = triggerRefSchema();

export const timelineQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.string().max(500).optional().describe('The `next` cursor of the previous page.'),
  kinds: z
    .string()
    .regex(
      /^(event|decision|outcome)(,(event|decision|outcome))*$/,
      'comma-separated: event, decision, outcome',
    )
    .optional()
    .describe('Only these kinds, e.g. event,outcome (default: all).'),
  from: isoTime.optional().describe('Entries from this time (inclusive), ISO 8601.'),
  to: isoTime.optional().describe('Entries before this time (exclusive), ISO 8601.'),
});

export const timelineResponse = z
  .object({
    customerId: z.string(),
    entries: z.array(
      z.discriminatedUnion('kind', [
        z.object({
          kind: z.literal('event'),
          at: z.string(),
          seq: z.number().int(),
          type: z.string(),
          channel: z.string().nullable(),
          payload: z.record(z.string(), z.unknown()),
        }),
        z.object({
          kind: z.literal('decision'),
          at: z.string(),
          decisionId: z.string(),
          channel: z.string(),
          arm: z.enum(ARMS),
          actions: z.array(z.string()),
          trigger: triggerRefSchema().optional(),
        }),
        z.object({
          kind: z.literal('outcome'),
          at: z.string(),
          seq: z.number().int(),
          decisionId: z.string(),
          actionId: z.string(),
          outcome: z.string(),
          value: z.number().nullable(),
          channel: z.string().nullable(),
        }),
      ]),
    ),
    next: z.string().nullable().describe('Cursor of the next (older) page; null on the last page.'),
  })
  .meta({ id: 'Timeline' });

export const outboundQuery = z.strictObject({
  channel: z.string().min(1).max(100).describe('The outbound channel to claim messages of.'),
  limit: z.coerce.number().int().min(1).max(500).default(10),
  leaseSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .max(86_400)
    .default(60)
    .describe('How long the claim holds; unacknowledged messages are offered again after it.'),
});

export const outboundItem = z
  .object({
    id: z.number().int(),
    claimToken: z.string().describe('Send it back to acknowledge or release the message.'),
    leaseUntil: z.string(),
    attempts: z.number().int().describe('How often the message has been claimed, this claim included.'),
    lastError: z.string().nullable(),
    decisionId: z.string().describe('Record the customer answer with POST /v1/outcomes and this id.'),
    customerId: z.string(),
    channel: z.string(),
    trigger: triggerRef,
    actions: z.array(
      z.object({
        actionId: z.string(),
        name: z.string(),
        issue: z.string(),
        group: z.string(),
        rank: z.number().int(),
        treatment: z.record(z.string(), z.unknown()),
      }),
    ),
    createdAt: z.string(),
  })
  .meta({ id: 'OutboundMessage' });

export const outboundResponse = z.object({ items: z.array(outboundItem) });

export const outboundParams = z.strictObject({ id: z.coerce.number().int().positive() });

export const outboundAckBody = z.strictObject({ claimToken: z.string().min(1) });

export const outboundReleaseBody = z.strictObject({
  claimToken: z.string().min(1),
  retryInSeconds: z.number().int().min(0).max(86_400).default(60),
  error: z.string().max(2000).default('released by the consumer'),
});

export const outboundSettled = z.object({
  id: z.number().int(),
  status: z.enum(['done', 'pending']).describe('done: acknowledged; pending: offered again later.'),
});

export const outboundStatsResponse = z.object({
  channels: z.array(
    z.object({
      channel: z.string(),
      pending: z.number().int(),
      claimed: z.number().int(),
      done: z.number().int(),
      failed: z.number().int(),
    }),
  ),
});

export const catalogVersionInfo = z.object({
  version: z.number().int(),
  hash: z.string(),
  createdAt: z.string(),
  active: z.boolean(),
});

export const catalogResponse = catalogVersionInfo
  .extend({
    source: z.string().describe('The catalog as submitted (YAML or JSON).'),
    catalog: catalogFileSchema.describe('The validated catalog with defaults filled in.'),
  })
  .meta({ id: 'Catalog' });

export const catalogPutResponse = catalogVersionInfo.extend({
  created: z.boolean().describe('False when the content equals the active version.'),
  actions: z.number().int(),
  warnings: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .describe('What is valid but almost certainly a mistake (the catalog is active anyway).'),
});

export const kpiQuery = z.strictObject({
  from: isoTime.optional().describe('Start (inclusive), ISO 8601; default: 30 days before `to`.'),
  to: isoTime.optional().describe('End (exclusive), ISO 8601; default: now.'),
  by: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parseKpiDimensions(v);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .describe(`Comma-separated dimensions: ${KPI_DIMENSIONS.join(', ')}, e.g. arm,day.`),
});

export const rangeQuery = z.strictObject({
  from: isoTime.optional().describe('Start (inclusive), ISO 8601; default: 30 days before `to`.'),
  to: isoTime.optional().describe('End (exclusive), ISO 8601; default: now.'),
});

const opeEstimate = z.object({
  estimator: z.enum(OPE_ESTIMATORS),
  estimate: z.number(),
  ci: z.tuple([z.number(), z.number()]).describe('95 % normal-approximation interval.'),
  effectiveSampleSize: z.number(),
  rounds: z.number().int(),
});

export const shadowResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    policies: z.array(z.string()).describe('Shadow policies seen in the range.'),
    decisions: z.number().int(),
    rounds: z.number().int().describe('Decisions with a shadow record and an answer to the first slot.'),
    skipped: z.object({ unanswered: z.number().int(), noShadow: z.number().int() }),
    logged: z.object({
      estimate: z.number().nullable(),
      ci: z.tuple([z.number().nullable(), z.number().nullable()]),
    }),
    estimates: z.array(opeEstimate),
    agreement: z
      .number()
      .nullable()
      .describe("Share of rounds where the shadow's own draw matched production."),
  })
  .meta({ id: 'ShadowReport' });

const kpiKey = z.record(z.string(), z.string());
const interval = z.tuple([z.number(), z.number()]);

export const kpiResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    by: z.array(z.string()),
    rows: z.array(
      z.object({
        key: kpiKey,
        decisions: z.number().int(),
        offers: z.number().int().describe('Chosen actions.'),
        impressions: z.number().int(),
        clicks: z.number().int(),
        accepts: z.number().int().describe('Offers with an accept or convert outcome.'),
        conversions: z.number().int(),
        rejects: z.number().int(),
        expired: z.number().int(),
        value: z
          .number()
          .describe('Realised value (reported outcome values, else the action value when accepted).'),
        acceptRate: z.number(),
        acceptRateCi: interval.describe('95 % Wilson score interval.'),
        conversionRate: z.number(),
        clickRate: z.number(),
        valuePerDecision: z.number(),
        valuePerOffer: z.number(),
      }),
    ),
    lift: z.array(
      z.object({
        key: kpiKey,
        baseline: z.enum(BASELINE_ARMS),
        adaptive: z.object({ offers: z.number(), accepts: z.number(), acceptRate: z.number() }),
        other: z.object({ offers: z.number(), accepts: z.number(), acceptRate: z.number() }),
        lift: z.number().nullable().describe('Relative lift of the accept rate: 0.5 means +50 %.'),
        liftCi: interval.nullable().describe('95 % CI of the lift (Katz log method).'),
        difference: z.number(),
        differenceCi: interval.describe("95 % CI of the difference (Newcombe's hybrid score)."),
      }),
    ),
    method: z.string(),
    degradedPeriods: z
      .array(z.object({ from: z.string(), to: z.string(), reason: z.string() }))
      .describe(
        'Periods in the range when a server ran without its store (degraded mode): their decisions are not counted.',
      ),
  })
  .meta({ id: 'Kpis' });

const modelSummary = z.object({
  actionId: z.string(),
  model: z.string().describe('Model key: the action id, or shared:… for a model shared by several actions.'),
  shared: z.boolean(),
  kind: z.string().describe('The learner.'),
  responses: z.number().describe('Evidence: (weighted) responses learned from.'),
  positives: z.number(),
  successRate: z.number(),
  maturity: z
    .enum(MATURITY_LEVELS)
    .describe(
      `cold < ${MATURITY_THRESHOLDS.learning} responses ≤ learning < ${MATURITY_THRESHOLDS.mature.toLocaleString('en')} ≤ mature`,
    ),
});

export const modelListResponse = z
  .object({
    from: z
      .string()
      .describe(
        `Where the AUC figures start: the window's start, or later when the window holds more than ${MODEL_LIST_DECISIONS.toLocaleString('en')} decisions (its latest part is used).`,
      ),
    to: z.string(),
    models: z.array(
      modelSummary.extend({
        answered: z.number().int().describe('Logged choices of this action in the window with an answer.'),
        auc: z
          .number()
          .nullable()
          .describe('Progressive ROC AUC of the logged propensities in the window (null: none answered).'),
      }),
    ),
  })
  .meta({ id: 'Models' });

export const modelParams = z.strictObject({ id });

export const modelReportResponse = modelSummary
  .extend({
    answered: z.number().int().describe('Logged choices of this action with a positive or negative outcome.'),
    auc: z.number().nullable().describe('Progressive ROC AUC of the logged propensities of this action.'),
    averagePrecision: z.number().nullable().describe('Progressive area under the precision-recall curve.'),
    logLoss: z.number().nullable(),
    calibration: z
      .array(
        z.object({
          n: z.number().int(),
          meanPredicted: z.number(),
          observedRate: z.number(),
          low: z.number().describe('Wilson 95 % interval of the observed rate: lower bound.'),
          high: z.number().describe('Upper bound.'),
        }),
      )
      .describe('Predicted vs observed acceptance in deciles of the prediction.'),
    ece: z
      .number()
      .nullable()
      .describe(
        'Expected calibration error over the deciles: their mean |predicted − observed|, by responses.',
      ),
    calibrationSlope: z
      .number()
      .nullable()
      .describe(
        'Logistic regression of the outcome on the logged log-odds: 1 when calibrated, < 1 overconfident.',
      ),
    predictors: z
      .array(z.object({ name: z.string(), importance: z.number(), active: z.boolean() }))
      .describe('Predictor importance (Gini of each predictor alone); empty for hashed learners.'),
  })
  .meta({ id: 'ModelReport' });

const spreadSchema = z.object({
  mean: z.number().nullable(),
  median: z.number().nullable(),
  p90: z.number().nullable(),
  max: z.number().nullable(),
});

export const journeyResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    contacts: z
      .array(
        z.object({
          channel: z.string(),
          contacts: z.number().int().describe('Actions chosen for identified customers.'),
          customers: z.number().int(),
          perCustomer: spreadSchema,
        }),
      )
      .describe('Contacts per customer, per channel.'),
    triggers: z
      .array(
        z.object({
          trigger: z.string(),
          channel: z.string(),
          messages: z.number().int(),
          delivered: z.number().int(),
          failed: z.number().int(),
          answered: z.number().int(),
          positives: z.number().int(),
          positiveRate: z.number(),
          positiveRateCi: z.tuple([z.number(), z.number()]),
          hoursToOutcome: spreadSchema.describe('From the firing event to the first answer.'),
          minutesToMessage: spreadSchema.describe('From the firing event to the queued message.'),
        }),
      )
      .describe('Proactive contacts per trigger: from event to answer.'),
  })
  .meta({ id: 'JourneyKpis' });

const npsSummary = z.object({
  responses: z.number().int(),
  promoters: z.number().int(),
  passives: z.number().int(),
  detractors: z.number().int(),
  nps: z.number().describe('−100…100'),
  npsCi: z.tuple([z.number(), z.number()]),
});
const csatSummary = z.object({
  responses: z.number().int(),
  satisfied: z.number().int(),
  csat: z.number().describe('Share of 4–5 answers, %'),
  csatCi: z.tuple([z.number(), z.number()]),
  meanScore: z.number(),
});
function surveySchema<T extends z.ZodObject>(summary: T) {
  return z
    .object({
      overall: summary,
      byTouchpoint: z.array(summary.extend({ touchpoint: z.string() })),
      byAction: z
        .array(summary.extend({ actionId: z.string() }))
        .describe("Per action chosen for the customer before the survey ('none': no action in the window)."),
      outOfRange: z.number().int().describe('Answers outside the scale, left out.'),
    })
    .nullable();
}

export const feedbackResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    nps: surveySchema(npsSummary).describe('Null when the catalog declares no events.surveys.nps.'),
    csat: surveySchema(csatSummary).describe('Null when the catalog declares no events.surveys.csat.'),
  })
  .meta({ id: 'FeedbackKpis' });

export const seriesQuery = z.strictObject({
  from: isoTime.optional().describe('Start (inclusive), ISO 8601; default: 1 hour before `to`.'),
  to: isoTime.optional().describe('End (exclusive), ISO 8601; default: now.'),
  stepSeconds: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe('Bucket width in seconds; default: the range in 60 buckets. At most 1,000 buckets.'),
});

const seriesArm = z.object({
  offers: z.number().int(),
  accepts: z.number().int(),
  cumOffers: z.number().int(),
  cumAccepts: z.number().int(),
  cumRate: z.number().nullable(),
  cumCi: z.tuple([z.number(), z.number()]).nullable(),
});

export const seriesResponse = z
  .object({
    from: z.string(),
    to: z.string(),
    stepSeconds: z.number(),
    points: z.array(
      z.object({
        t: z.string().describe('Bucket start.'),
        arms: z.object({ adaptive: seriesArm, control: seriesArm, businessRule: seriesArm }),
        decisions: z.number().int(),
        value: z.number(),
        lift: z.number().nullable().describe('Cumulative lift of adaptive over control since `from`.'),
        liftCi: z.tuple([z.number(), z.number()]).nullable(),
      }),
    ),
    method: z.string(),
  })
  .meta({ id: 'KpiSeries' });

export const actionPatchParams = z.strictObject({ id });

export const actionPatchBody = z
  .strictObject({
    lever: leverSchema.optional().describe('Business lever multiplying the priority (1 = neutral).'),
    budget: budgetSchema
      .nullable()
      .optional()
      .describe('How often the action may be chosen per day and in total; null removes the budget.'),
  })
  .refine((b) => b.lever !== undefined || b.budget !== undefined, 'give lever and/or budget');

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

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().positive().optional().describe('The `next` of the previous page.'),
  action: z
    .string()
    .max(100)
    .optional()
    .describe('Only this action: catalog.put, catalog.patch, customer.erase, customer.export.'),
  from: isoTime.optional().describe('Entries from this time (inclusive), ISO 8601.'),
  to: isoTime.optional().describe('Entries before this time (exclusive), ISO 8601.'),
});

export const auditResponse = z
  .object({
    entries: z.array(
      z.object({
        seq: z.number().int(),
        at: z.string(),
        keyId: z.string().nullable().describe('Id of the key that made the change (null: the CLI).'),
        requestId: z.string().nullable(),
        action: z.string(),
        target: z.string(),
        summary: z.string().describe('What changed, e.g. a catalog diff summary.'),
      }),
    ),
    next: z.number().int().nullable().describe('Pass as `before` for older entries; null on the last page.'),
  })
  .meta({ id: 'AuditLog' });
