// The demo: simulated customers (see assumptions.ts) that use a running nextbest server over its public HTTP API,
// like a website, an app, a call centre and an outbound campaign tool would. They arrive on their channels, get
// decisions, answer according to hidden propensities, and live through events (router faults, moves, surveys)
// that feed the features and fire the catalog's triggers. Seeded: the same seed gives the same population and
// the same sequence of visits (the answers depend on what the engine chooses).
import { createClient, type NextbestClient, type Schemas } from '../client/index.ts';
import { mulberry32 } from '../core/random.ts';
import type { Attributes } from '../core/types.ts';
import {
  BASE_LOGIT,
  BEHAVIOUR,
  type Channel,
  featureEffect,
  INTENT_AFFINITY,
  type Intent,
  PERSONAS,
  type Persona,
  sigmoid,
} from './assumptions.ts';

export interface DemoOptions {
  /** The server, e.g. http://127.0.0.1:8080. */
  url: string;
  /** A key with the admin role (profiles are written with it; decisions and outcomes work with it too). */
  adminKey: string;
  customers: number;
  seed: number;
  /** 1 = 40 sessions/s; 0.25 for a slow show, 10 to fill the plots fast. */
  speed: number;
  /** Stop after this many sessions (tests); default: until stopped. */
  maxSessions?: number;
  log?: (message: string) => void;
}

export interface DemoStats {
  sessions: number;
  offers: Record<string, number>;
  accepts: Record<string, number>;
  events: number;
  outboundAnswered: number;
  errors: number;
}

interface SimCustomer {
  id: string;
  persona: Persona;
  attributes: Attributes;
  faults: number[];
  lastLifeEvent?: string;
}

function weighted<K extends string>(rnd: () => number, weights: Partial<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let u = rnd() * total;
  for (const [k, w] of entries) {
    u -= w;
    if (u < 0) return k;
  }
  return entries[entries.length - 1]![0];
}

/** The simulated population, seeded: persona first, then a profile drawn from the persona's ranges. */
export function demoPopulation(count: number, seed: number): SimCustomer[] {
  const rnd = mulberry32(seed);
  const between = ([lo, hi]: [number, number], digits = 0) => {
    const x = lo + rnd() * (hi - lo);
    return Math.round(x * 10 ** digits) / 10 ** digits;
  };
  const shares = Object.fromEntries(PERSONAS.map((p) => [p.id, p.share]));
  const out: SimCustomer[] = [];
  for (let i = 1; i <= count; i++) {
    const personaId = weighted(rnd, shares);
    const persona = PERSONAS.find((p) => p.id === personaId)!;
    const pr = persona.profile;
    const fibre = rnd() < pr.fibre;
    const mobile = !fibre || rnd() < pr.mobile;
    const products: string[] = [];
    if (mobile) products.push('mobile');
    if (fibre) products.push('fibre');
    if (fibre && rnd() < 0.3) products.push('tv');
    if (rnd() < 0.2) products.push('insurance');
    if (rnd() < 0.25) products.push('streaming');
    const tenureMonths = Math.floor(rnd() * 120);
    const plan =
      mobile && (!fibre || rnd() < 0.5)
        ? (['mobile-basic', 'mobile-plus', 'mobile-unlimited'] as const)[Math.floor(rnd() * 3)]!
        : (['fibre-100', 'fibre-500', 'fibre-1000'] as const)[Math.floor(rnd() * 3)]!;
    out.push({
      id: `C${String(i).padStart(5, '0')}`,
      persona,
      faults: [],
      attributes: {
        segment: pr.business ? 'business' : 'consumer',
        plan,
        products,
        tenureMonths,
        monthlySpend: between([20, 90], 2) + (fibre ? 25 : 0),
        dataUsageGb: between(pr.dataUsageGb, 1),
        churnRisk: between(pr.churnRisk, 2),
        age: Math.floor(between(pr.age)),
        region: (['north', 'south', 'east', 'west', 'city'] as const)[Math.floor(rnd() * 5)]!,
        hasRouter: fibre,
        openTickets: rnd() < 0.12 ? 1 + Math.floor(rnd() * 2) : 0,
        paymentsOverdue: rnd() < 0.08 ? 1 : 0,
        contractEndsInDays: Math.floor(rnd() * 730),
        deviceAgeMonths: Math.floor(rnd() * 60),
        marketingConsent: rnd() < 0.7,
        usesApp: rnd() < pr.usesApp,
      },
    });
  }
  return out;
}

/** The hidden probability that this customer accepts this action now. */
export function acceptProbability(
  customer: SimCustomer,
  action: { actionId: string; issue: string; group: string },
  intent: Intent | undefined,
  now: number,
): number {
  const a = customer.persona.affinity;
  const i = intent ? INTENT_AFFINITY[intent] : {};
  const group = `${action.issue}/${action.group}`;
  const features = {
    deviceFaults7d: customer.faults.filter((t) => t > now - 7 * 86_400_000).length,
    ...(customer.lastLifeEvent ? { lastLifeEvent: customer.lastLifeEvent } : {}),
  };
  const logit =
    BASE_LOGIT +
    (a[action.issue] ?? 0) +
    (a[group] ?? 0) +
    (a[action.actionId] ?? 0) +
    (i[action.issue] ?? 0) +
    (i[group] ?? 0) +
    featureEffect(action.actionId, action.issue, customer.attributes, features);
  return sigmoid(logit);
}

type EventBody = Schemas['EventInput'];

export class DemoSimulator {
  readonly stats: DemoStats = {
    sessions: 0,
    offers: {},
    accepts: {},
    events: 0,
    outboundAnswered: 0,
    errors: 0,
  };
  private readonly population: SimCustomer[];
  private readonly byId: Map<string, SimCustomer>;
  private readonly rnd: () => number;
  private stopped = false;
  /** The server, through the package's typed client as any integrator would use it. */
  private readonly api: NextbestClient;

  constructor(private readonly options: DemoOptions) {
    this.api = createClient({ baseUrl: options.url, key: options.adminKey });
    this.population = demoPopulation(options.customers, options.seed);
    this.byId = new Map(this.population.map((c) => [c.id, c]));
    this.rnd = mulberry32(options.seed + 1);
  }

  /** A call's answer, or undefined after counting (and logging the first few of) its failures. */
  private async ok<T>(
    what: string,
    call: Promise<{ data?: T; error?: unknown; response: Response }>,
  ): Promise<T | undefined> {
    try {
      const { data, error, response } = await call;
      if (error === undefined && response.ok) return data;
      if (this.stats.errors++ < 5)
        this.options.log?.(`demo: ${what} → ${response.status} ${JSON.stringify(error).slice(0, 200)}`);
    } catch (error) {
      if (this.stats.errors++ < 5) this.options.log?.(`demo: ${what} failed: ${(error as Error).message}`);
    }
    return undefined;
  }

  /** Writes the population's profiles (skipped when the last one is there already). */
  async loadCustomers(): Promise<void> {
    const last = this.population[this.population.length - 1]!;
    const found = await this.api.GET('/v1/customers/{id}', { params: { path: { id: last.id } } });
    if (found.response.ok) return;
    let next = 0;
    const worker = async () => {
      while (next < this.population.length) {
        const c = this.population[next++]!;
        await this.ok(
          `PUT /v1/customers/${c.id}`,
          this.api.PUT('/v1/customers/{id}', {
            params: { path: { id: c.id } },
            body: { attributes: c.attributes },
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  stop(): void {
    this.stopped = true;
  }

  /** Runs sessions, events and the outbound campaign tool until stopped (or maxSessions). */
  async run(): Promise<DemoStats> {
    const rate = BEHAVIOUR.sessionsPerSecond * this.options.speed;
    const tickMs = 100;
    let carry = 0;
    let lastOutbound = 0;
    while (!this.stopped) {
      const started = Date.now();
      carry += (rate * tickMs) / 1000;
      const n = Math.floor(carry);
      carry -= n;
      const jobs: Array<Promise<unknown>> = [];
      for (let i = 0; i < n && !this.done(); i++) jobs.push(this.session());
      jobs.push(this.lifeEvents((n / Math.max(1, rate)) * 1000 || tickMs));
      if (started - lastOutbound >= 1000) {
        lastOutbound = started;
        jobs.push(this.outbound('sms'), this.outbound('email'));
      }
      await Promise.all(jobs);
      if (this.done()) break;
      const wait = tickMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    return this.stats;
  }

  private done(): boolean {
    return this.options.maxSessions !== undefined && this.stats.sessions >= this.options.maxSessions;
  }

  /** One visit: a decision on the customer's channel, then their answers and, sometimes, a survey. */
  private async session(): Promise<void> {
    this.stats.sessions++;
    const c = this.population[Math.floor(this.rnd() * this.population.length)]!;
    const channel = weighted<Channel>(this.rnd, c.persona.channels);
    const intent = weighted<Intent>(this.rnd, c.persona.intents);
    const limit = channel === 'chat' ? 1 : 3;
    const d = await this.ok(
      'POST /v1/decide',
      this.api.POST('/v1/decide', { body: { customerId: c.id, channel, limit, context: { intent } } }),
    );
    if (!d) return;
    const now = Date.now();
    let accepted = false;
    const answers: Array<Promise<unknown>> = [];
    d.actions.forEach((action, slot) => {
      this.stats.offers[d.arm] = (this.stats.offers[d.arm] ?? 0) + 1;
      if (accepted || this.rnd() >= (BEHAVIOUR.slotAttention[slot] ?? 0.2)) return;
      if (this.rnd() < acceptProbability(c, action, intent, now)) {
        accepted = true;
        this.stats.accepts[d.arm] = (this.stats.accepts[d.arm] ?? 0) + 1;
        answers.push(this.outcome(d.decisionId, action.actionId, 'accept'));
      } else if (this.rnd() < BEHAVIOUR.explicitReject) {
        answers.push(this.outcome(d.decisionId, action.actionId, 'reject'));
      }
    });
    if (this.rnd() < BEHAVIOUR.surveyAfterSession) {
      const nps = this.rnd() < 0.5;
      const score = nps
        ? Math.min(10, Math.max(0, Math.round((accepted ? 8.5 : 6.5) + (this.rnd() - 0.5) * 5)))
        : Math.min(5, Math.max(1, Math.round((accepted ? 4.3 : 3.3) + (this.rnd() - 0.5) * 2.5)));
      answers.push(
        this.events([
          {
            customerId: c.id,
            type: 'survey',
            timestamp: new Date(now).toISOString(),
            channel,
            payload: { kind: nps ? 'nps' : 'csat', score, touchpoint: channel },
          },
        ]),
      );
    }
    await Promise.all(answers);
  }

  private outcome(decisionId: string, actionId: string, outcome: 'accept' | 'reject') {
    return this.ok(
      'POST /v1/outcomes',
      this.api.POST('/v1/outcomes', { body: { decisionId, actionId, outcome } }),
    );
  }

  private async events(events: EventBody[]): Promise<void> {
    const ack = await this.ok('POST /v1/events', this.api.POST('/v1/events', { body: events }));
    this.stats.events += ack?.accepted ?? 0;
  }

  /** Router faults and moves, at the personas' rates (a demo day lasts a minute), plus everyday events. */
  private lifeEvents(elapsedMs: number): Promise<void> {
    const days = elapsedMs / 60_000;
    const now = Date.now();
    const batch: EventBody[] = [];
    // Expected counts over the whole population, drawn customer by customer only when they happen.
    const expectedFaults = this.population.length * 0.03 * days;
    const expectedMoves = this.population.length * 0.003 * days;
    const draw = (expected: number) => Math.floor(expected) + (this.rnd() < expected % 1 ? 1 : 0);
    for (let i = draw(expectedFaults); i > 0; i--) {
      const c = this.population[Math.floor(this.rnd() * this.population.length)]!;
      if (!c.attributes.hasRouter || this.rnd() > c.persona.faultsPerDay / 0.04) continue;
      c.faults.push(now);
      const critical = this.rnd() < 0.1;
      batch.push({
        customerId: c.id,
        type: 'device_alert',
        timestamp: new Date(now).toISOString(),
        channel: 'iot',
        payload: { device: 'router', code: 'disconnect', severity: critical ? 'critical' : 'minor' },
      });
    }
    for (let i = draw(expectedMoves); i > 0; i--) {
      const c = this.population[Math.floor(this.rnd() * this.population.length)]!;
      if (this.rnd() > c.persona.movesPerDay / 0.004) continue;
      c.lastLifeEvent = 'moving';
      batch.push({
        customerId: c.id,
        type: 'life_event',
        timestamp: new Date(now).toISOString(),
        payload: { kind: 'moving' },
      });
    }
    for (let i = draw(this.population.length * 0.05 * days); i > 0; i--) {
      const c = this.population[Math.floor(this.rnd() * this.population.length)]!;
      batch.push({
        customerId: c.id,
        type: 'transaction',
        timestamp: new Date(now).toISOString(),
        payload: { amount: Math.round(this.rnd() * 15000) / 100, merchant: 'shop', category: 'retail' },
      });
    }
    return batch.length > 0 ? this.events(batch) : Promise.resolve();
  }

  /** The campaign tool: sends what the triggers queued and reports the answers. */
  private async outbound(channel: 'sms' | 'email'): Promise<void> {
    const claimed = await this.ok(
      `GET /v1/outbound (${channel})`,
      this.api.GET('/v1/outbound', { params: { query: { channel, limit: 100, leaseSeconds: 30 } } }),
    );
    for (const item of claimed?.items ?? []) {
      await this.ok(
        `POST /v1/outbound/${item.id}/ack`,
        this.api.POST('/v1/outbound/{id}/ack', {
          params: { path: { id: item.id } },
          body: { claimToken: item.claimToken },
        }),
      );
      const c = this.byId.get(item.customerId);
      const first = item.actions[0];
      if (!c || !first) continue;
      const p = acceptProbability(c, first, 'support', Date.now());
      const outcome = this.rnd() < p ? 'accept' : 'reject';
      await this.outcome(item.decisionId, first.actionId, outcome);
      this.stats.outboundAnswered++;
    }
  }
}
