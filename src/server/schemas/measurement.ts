// Wire schemas of measurement: KPIs with intervals, shadow and off-policy estimates, model reports, journeys,
// feedback and series.
import { z } from 'zod';
import { BASELINE_ARMS } from '../../core/arms.ts';
import { MODEL_LIST_DECISIONS } from '../../engine/modelReports.ts';
import { parseKpiDimensions } from '../../measure/kpis.ts';
import { MATURITY_LEVELS, MATURITY_THRESHOLDS } from '../../measure/modelQuality.ts';
import { OPE_ESTIMATORS } from '../../measure/ope.ts';
import { KPI_DIMENSIONS } from '../../store/store.ts';
import { id, isoTime } from './common.ts';

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
