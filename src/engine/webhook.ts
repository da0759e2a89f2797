// Pushes outbound messages to an HTTP endpoint. The dispatcher is a consumer of the same queue as
// GET /v1/outbound: it claims with a lease, acknowledges on a 2xx answer and otherwise releases the message for
// a later retry with exponential backoff, so a crash mid-delivery only delays a message, never loses it.
import { createHmac } from 'node:crypto';
import type { OutboundItem, OutboundRepository } from '../store/store.ts';

export interface WebhookOptions {
  url: string;
  /** HMAC-SHA256 key of the X-Nextbest-Signature header. */
  secret: string;
  /** Channels it delivers; default every outbound channel. */
  channels?: readonly string[];
  /** How often the queue is polled (ms, default 1000). */
  pollMs?: number;
  /** Per-request timeout (ms, default 10,000). */
  timeoutMs?: number;
  /** Attempts before a message is given up (status failed; default 8). */
  maxAttempts?: number;
  /** First retry delay (ms, default 5,000), doubled per attempt up to `maxBackoffMs` (default 1 h). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Messages claimed per poll (default 50). */
  batch?: number;
}

/** `sha256=<hex>` over `<timestamp>.<body>`: receivers recompute it and reject stale timestamps (replays). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export class WebhookDispatcher {
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: OutboundRepository,
    private readonly options: WebhookOptions,
    private readonly clock: () => number,
  ) {}

  delivers(channel: string): boolean {
    return !this.options.channels || this.options.channels.includes(channel);
  }

  /** Delivers what is due now; overlapping calls share one run. Returns the number acknowledged. */
  deliverDue(): Promise<number> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Waits for a delivery run in flight (on shutdown). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<number> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const items = await this.store.claimOutbound({
      ...(this.options.channels ? { channels: this.options.channels } : {}),
      limit: this.options.batch ?? 50,
      // The lease outlives the request, so nobody else claims a message while it is being posted.
      leaseMs: timeoutMs * 3,
      now: this.clock(),
      maxAttempts: this.options.maxAttempts ?? 8,
    });
    const results = await Promise.all(items.map((item) => this.deliver(item, timeoutMs)));
    return results.filter(Boolean).length;
  }

  private async deliver(item: OutboundItem, timeoutMs: number): Promise<boolean> {
    const { claimToken: _token, leaseUntil: _lease, status: _status, lastError: _error, ...message } = item;
    const body = JSON.stringify(message);
    const timestamp = String(Math.floor(this.clock() / 1000));
    let error: string;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-nextbest-delivery': String(item.id),
          'x-nextbest-attempt': String(item.attempts),
          'x-nextbest-timestamp': timestamp,
          'x-nextbest-signature': webhookSignature(this.options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel();
      if (response.ok) {
        await this.store.ackOutbound(item.id, item.claimToken, this.clock());
        return true;
      }
      error = `HTTP ${response.status}`;
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const base = this.options.backoffMs ?? 5000;
    const delay = Math.min(base * 2 ** (item.attempts - 1), this.options.maxBackoffMs ?? 3_600_000);
    await this.store.releaseOutbound(item.id, item.claimToken, this.clock() + delay, error);
    return false;
  }
}
