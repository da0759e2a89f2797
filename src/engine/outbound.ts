// The outbound queue: claims with a lease, acknowledgements and releases (channels a webhook delivers excepted).

import type { OutboundItem } from '../store/store.ts';
import type { EngineContext } from './context.ts';
import { EngineError } from './errors.ts';

/** A message claimed this often without an acknowledgement is given up (status failed). */
export const OUTBOUND_MAX_ATTEMPTS = 10;

export class Outbound {
  constructor(private readonly c: EngineContext) {}

  /** Checks that a channel can be claimed from the queue (outbound, not delivered by the webhook). */
  private queueChannel(channel: string, field: string): void {
    const ch = this.c.catalogs.catalog.channels.get(channel);
    if (!ch) throw new EngineError('invalid', field, `unknown channel '${channel}'`);
    if (ch.direction !== 'outbound')
      throw new EngineError('invalid', field, `'${channel}' is not an outbound channel`);
    if (this.c.webhook?.delivers(channel))
      throw new EngineError('conflict', field, `'${channel}' is delivered by the webhook, not the queue`);
  }

  /** Claims due outbound messages of a channel for `leaseMs`; acknowledge each with its claim token. */
  async claimOutbound(channel: string, limit: number, leaseMs: number): Promise<OutboundItem[]> {
    this.queueChannel(channel, 'querystring.channel');
    return this.c.store.claimOutbound({
      channels: [channel],
      limit,
      leaseMs,
      now: this.c.clock(),
      maxAttempts: OUTBOUND_MAX_ATTEMPTS,
    });
  }

  /** Acknowledges (delivered) or releases (retry later) a claimed message. */
  async settleOutbound(id: number, claimToken: string, release?: { retryInMs: number; error: string }) {
    const now = this.c.clock();
    const result = release
      ? await this.c.store.releaseOutbound(id, claimToken, now + release.retryInMs, release.error)
      : await this.c.store.ackOutbound(id, claimToken, now);
    if (result === 'unknown') throw new EngineError('not_found', 'params.id', `no outbound message ${id}`);
    if (result === 'not_claimed')
      throw new EngineError('conflict', 'params.id', `message ${id} is not claimed (already settled?)`);
    if (result === 'wrong_token')
      throw new EngineError(
        'conflict',
        'body.claimToken',
        'not the current claim (the lease ran out and it was claimed again)',
      );
  }

  outboundCounts() {
    return this.c.store.outboundCounts();
  }
}
