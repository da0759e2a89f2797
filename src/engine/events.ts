// Events: stored with the features they update and the trigger jobs they fire, in one transaction; then each
// fired trigger's decision for its outbound channel. Jobs a stopped process left are claimed and run later.

import { applyEvent, type CustomerEvent, eventIssues, featureValues } from '../core/events.ts';
import { ruleErrorMessage } from '../core/rules.ts';
import type { TriggerJob } from '../store/store.ts';
import type { DecisionResponse, EventInput, TriggeredDecision } from './api.ts';
import type { EngineContext } from './context.ts';
import type { Decisions } from './decisions.ts';
import { EngineError } from './errors.ts';

/** How long a recovering process holds the trigger jobs it claimed before another may take them. */
const TRIGGER_JOB_LEASE_MS = 5 * 60_000;

export class Events {
  constructor(
    private readonly c: EngineContext,
    private readonly decisions: Decisions,
  ) {}

  /**
   * Stores events (all or none), updates the derived features in the same transaction, then runs the triggers
   * the events fire: each makes a decision for its outbound channel, which contact policies govern like any
   * other, and queues the chosen actions for delivery. `checked`: the caller ran `eventProblem` on each event
   * against the active catalog already (an import).
   */
  async ingestEvents(
    inputs: readonly EventInput[],
    fieldPrefix: (i: number) => string,
    options: { setting?: { key: string; value: string }; checked?: boolean } = {},
  ): Promise<{ seqs: number[]; triggered: TriggeredDecision[] }> {
    const catalog = this.c.catalogs.catalog;
    const now = this.c.clock();
    const events = inputs.map((e, i): CustomerEvent => {
      const problem = options.checked ? undefined : this.eventProblem(e, now);
      if (problem) throw new EngineError('invalid', `${fieldPrefix(i)}.${problem.field}`, problem.message);
      return {
        customerId: e.customerId,
        type: e.type,
        at: e.at,
        channel: e.channel,
        payload: e.payload ?? {},
      };
    });
    // Trigger conditions see the features as this event left them, so they are read inside the transaction
    // and stored with a job per fired trigger: the jobs commit with the events, and a crash before their
    // decisions leaves them for recoverTriggerJobs.
    const neededByType = new Map<string, Set<string>>();
    const { seqs, jobs } = await this.c.store.appendEvents(
      events,
      now,
      (state, event) => {
        // The declarations at commit time: a catalog change that rebuilt the states meanwhile must not be undone.
        const config = this.c.catalogs.catalog.definition.events;
        applyEvent(config, state, event);
        const triggers = catalog.triggersByEvent.get(event.type);
        if (!triggers) return undefined;
        let needed = neededByType.get(event.type);
        if (!needed) {
          needed = new Set(triggers.flatMap((t) => [...t.features]));
          neededByType.set(event.type, needed);
        }
        const features = needed.size > 0 ? featureValues(config, state, now, needed) : {};
        return triggers.map((t) => ({ trigger: t.id, features }));
      },
      options.setting,
    );
    const triggered: TriggeredDecision[] = [];
    if (jobs.length === 0) return { seqs, triggered };
    const indexOf = new Map(seqs.map((seq, i) => [seq, i]));
    const outcomes = await this.runTriggerJobs(jobs);
    jobs.forEach((job, k) => {
      const outcome = outcomes[k];
      if (outcome) triggered.push({ ...outcome, index: indexOf.get(job.eventSeq)! });
    });
    return { seqs, triggered };
  }

  /** Runs trigger jobs in order; those that end without a decision are settled together afterwards. */
  private async runTriggerJobs(
    jobs: readonly TriggerJob[],
  ): Promise<Array<Omit<TriggeredDecision, 'index'> | undefined>> {
    const settled: number[] = [];
    const outcomes: Array<Omit<TriggeredDecision, 'index'> | undefined> = [];
    for (const job of jobs) outcomes.push(await this.runTriggerJob(job, settled));
    await this.c.store.finishTriggerJobs(settled);
    return outcomes;
  }

  /**
   * Decides for one fired trigger. A decision settles the job in its own transaction; a job that ends without one
   * (condition false, no decision possible) goes to `settled`, for runTriggerJobs to settle with the others in
   * one write (should the process stop first, the job is simply evaluated again). Returns what happened (undefined:
   * the condition was false).
   */
  private async runTriggerJob(
    job: TriggerJob,
    settled: number[],
  ): Promise<Omit<TriggeredDecision, 'index'> | undefined> {
    const base = { trigger: job.trigger, eventSeq: job.eventSeq, customerId: job.customerId };
    const skip = (why: string) => {
      settled.push(job.id);
      return { ...base, skipped: why };
    };
    const t = this.c.catalogs.catalog.triggersByEvent.get(job.event.type)?.find((x) => x.id === job.trigger);
    if (!t) return skip('trigger no longer in the catalog');
    const customer = await this.c.store.getCustomer(job.customerId);
    if (!customer) return skip('unknown customer (no profile)');
    const { event } = job;
    if (t.when) {
      let fires: boolean;
      try {
        fires = t.when.evaluate({
          customer: customer.attributes,
          context: t.context,
          features: job.features,
          channel: t.channel,
          event: { type: event.type, channel: event.channel ?? '', payload: event.payload },
        });
      } catch (error) {
        return skip(`condition failed: ${ruleErrorMessage(error)}`);
      }
      if (!fires) {
        settled.push(job.id);
        return undefined;
      }
    }
    let decision: DecisionResponse;
    try {
      decision = await this.decisions.decideWith(
        { customerId: job.customerId, channel: t.channel, context: t.context, limit: t.limit },
        { id: t.id, eventSeq: job.eventSeq, eventType: event.type, eventAt: event.at, only: t, job: job.id },
      );
    } catch (error) {
      // The events are stored already: a failed trigger decision is reported, not turned into an error
      // that would make the sender retry (and store the events twice).
      return skip(`decision failed: ${(error as Error).message}`);
    }
    return {
      ...base,
      decisionId: decision.decisionId,
      actions: decision.actions.map((a) => a.actionId),
      queued: decision.actions.length > 0,
    };
  }

  /**
   * Runs the trigger jobs created before `createdBefore` that are still open: their events were stored but the
   * process stopped before their decisions were logged. Returns how many ran.
   */
  async recoverTriggerJobs(createdBefore: number): Promise<number> {
    let done = 0;
    for (;;) {
      const jobs = await this.c.store.claimTriggerJobs({
        createdBefore,
        limit: 100,
        now: this.c.clock(),
        leaseMs: TRIGGER_JOB_LEASE_MS,
      });
      await this.runTriggerJobs(jobs);
      done += jobs.length;
      if (jobs.length < 100) return done;
    }
  }

  /** What is wrong with an event (field relative to the event), or undefined when it can be stored. */
  eventProblem(e: EventInput, now = this.c.clock()): { field: string; message: string } | undefined {
    const config = this.c.catalogs.catalog.definition.events;
    const problem = eventIssues(config, { type: e.type, payload: e.payload ?? {} })[0];
    if (problem) return problem;
    if (!Number.isFinite(e.at)) return { field: 'timestamp', message: 'expected an ISO 8601 date-time' };
    if (e.at > now + config.maxFutureMinutes * 60_000)
      return { field: 'timestamp', message: `more than ${config.maxFutureMinutes} minutes in the future` };
    return undefined;
  }
}
