// Degraded mode: the process notices that its store cannot serve (a call failed for a reason such as a full
// disk, a read-only or removed file, a database that is down, or the periodic probe failed), says so on
// /v1/health, fails store calls fast instead of hanging on them, probes until the store answers again, and
// then records the degraded period in the store (for the KPIs) and in the log. No restart is needed.
import type { Store } from '../store/store.ts';
import { isDoubtful, StoreUnavailableError, unavailableReason } from '../store/unavailable.ts';

export interface HealthOptions {
  /** Probe interval while healthy (a removed file or a full disk is noticed without traffic). */
  okProbeMs?: number;
  /** Probe interval while degraded. */
  degradedProbeMs?: number;
  clock?: () => number;
  log?: (line: string) => void;
}

export class StoreHealth {
  private state: { degraded: false } | { degraded: true; reason: string; since: number } = {
    degraded: false,
  };
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly store: Pick<Store, 'probe' | 'recordDegradedPeriod'>,
    private readonly options: HealthOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? ((line) => console.error(line));
  }

  get degraded(): boolean {
    return this.state.degraded;
  }

  /** Why the store is unavailable ('' while healthy). */
  get reason(): string {
    return this.state.degraded ? this.state.reason : '';
  }

  /** What /v1/health reports. */
  get status(): { status: 'ok' } | { status: 'degraded'; reason: string; since: number } {
    return this.state.degraded
      ? { status: 'degraded', reason: this.state.reason, since: this.state.since }
      : { status: 'ok' };
  }

  /** The error to throw for a failed store call: a StoreUnavailableError when it means degraded mode. */
  seen(error: unknown): unknown {
    const reason = unavailableReason(error);
    if (reason === undefined) return error;
    // A busy lock or a slow pool under load: this call failed, the store may be fine; a probe decides.
    if (isDoubtful(reason)) void this.check();
    else this.fail(reason);
    return error instanceof StoreUnavailableError ? error : new StoreUnavailableError(reason);
  }

  /** Enters degraded mode (once; a later reason does not replace the first). */
  fail(reason: string): void {
    if (this.state.degraded) return;
    this.state = { degraded: true, reason, since: this.clock() };
    this.log(`store unavailable (${reason}): degraded mode; writes answer 503, decisions use what is cached`);
    this.schedule();
  }

  /** Starts the periodic probe. */
  start(): void {
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Probes the store once now; answers whether it is healthy afterwards. */
  async check(): Promise<boolean> {
    if (this.probing) return !this.state.degraded;
    this.probing = true;
    try {
      await this.store.probe();
      if (this.state.degraded) {
        const period = { from: this.state.since, to: this.clock(), reason: this.state.reason };
        this.state = { degraded: false };
        const seconds = ((period.to - period.from) / 1000).toFixed(1);
        this.log(`store available again after ${seconds} s degraded (${period.reason})`);
        await this.store
          .recordDegradedPeriod(period)
          .catch((error: unknown) => this.log(`could not record the degraded period: ${String(error)}`));
      }
    } catch (error) {
      this.fail(unavailableReason(error) ?? `probe failed: ${(error as Error)?.message ?? String(error)}`);
    } finally {
      this.probing = false;
    }
    return !this.state.degraded;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    const ms = this.state.degraded
      ? (this.options.degradedProbeMs ?? 1000)
      : (this.options.okProbeMs ?? 5000);
    if (ms <= 0) return;
    this.timer = setTimeout(() => {
      void this.check().then(() => this.schedule());
    }, ms);
    this.timer.unref();
  }
}

/** Methods that are not store calls (or must run while degraded). */
const PASS_THROUGH = new Set<PropertyKey>(['probe', 'close', 'init', 'recordDegradedPeriod', 'constructor']);

/**
 * The store as the engine sees it: while degraded every call fails at once with StoreUnavailableError (no
 * request waits for a database that is down), and a call that fails for an unavailability reason puts the
 * process in degraded mode.
 */
export function guardStore<S extends object>(store: S, health: StoreHealth): S {
  // The methods are wrapped once, as own properties of an object whose prototype is the store: the hot path
  // pays one closure call per store call, not a Proxy trap per property read; other properties read through.
  const guarded = Object.create(store) as Record<PropertyKey, unknown>;
  for (
    let proto: object | null = store;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const method = (store as Record<string, unknown>)[name];
      if (typeof method !== 'function' || name === 'constructor' || Object.hasOwn(guarded, name)) continue;
      // Every method runs on the store itself, so that what it assigns to `this` lands there.
      if (PASS_THROUGH.has(name)) {
        guarded[name] = method.bind(store);
        continue;
      }
      guarded[name] = (...args: unknown[]) => {
        if (health.degraded) return Promise.reject(new StoreUnavailableError(health.reason));
        let result: unknown;
        try {
          result = method.apply(store, args);
        } catch (error) {
          throw health.seen(error);
        }
        if (result instanceof Promise)
          return result.catch((error: unknown) => {
            throw health.seen(error);
          });
        return result;
      };
    }
  }
  return guarded as S;
}
