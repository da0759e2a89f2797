import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '../../src/core/catalog.ts';
import { webhookSignature } from '../../src/engine/webhook.ts';
import { action, smallCatalogDoc } from '../helpers.ts';
import { ADMIN_KEY, type Running, startServer } from './harness.ts';

const triggerCatalog = (triggers: unknown[]) =>
  smallCatalogDoc({
    channels: [{ id: 'web' }, { id: 'email', direction: 'outbound' }, { id: 'sms', direction: 'outbound' }],
    actions: [
      action('TechVisit', 'Service', 'Repair', {
        value: 10,
        treatments: { web: { title: 'Visit' }, sms: { title: 'Book a repair slot' } },
      }),
      action('Upsell', 'Sales', 'Cards', {
        value: 100,
        treatments: { web: { title: 'Card' }, sms: { title: 'Get a card' } },
      }),
      action('Move', 'Service', 'Moving', { value: 5 }),
    ],
    contactPolicies: [
      { id: 'sms-daily', type: 'maxContacts', scope: 'customer', count: 1, days: 1, channels: ['sms'] },
    ],
    events: {
      types: {
        device_alert: { payload: { severity: 'string' }, required: ['severity'] },
        life_event: { payload: { kind: 'string' }, required: ['kind'] },
      },
      features: { faults7d: { event: 'device_alert', aggregate: 'count', windowDays: 7 } },
    },
    triggers,
  });

const ROUTER = {
  id: 'router-faults',
  event: 'device_alert',
  when: 'event.payload.severity == "critical" || features.faults7d >= 3.0',
  channel: 'sms',
  actions: { issue: 'Service' },
};
const MOVING = {
  id: 'moving',
  event: 'life_event',
  when: 'event.payload.kind == "moving"',
  channel: 'email',
  actions: { action: 'Move' },
};

const alert = (customerId: string, severity: string) => ({
  customerId,
  type: 'device_alert',
  timestamp: new Date().toISOString(),
  payload: { severity },
});

describe('trigger declarations', () => {
  it('compile with typed event payloads', () => {
    expect(compileCatalog(triggerCatalog([ROUTER, MOVING])).triggersByEvent.get('device_alert')).toHaveLength(
      1,
    );
  });

  it.each([
    [{ ...ROUTER, event: 'fax' }, 'triggers[0].event', 'unknown event type'],
    [{ ...ROUTER, channel: 'web' }, 'triggers[0].channel', 'not an outbound channel'],
    [{ ...ROUTER, when: 'event.payload.colour == "red"' }, 'triggers[0].when', "unknown field 'colour'"],
    [{ ...ROUTER, actions: { group: 'Moving' } }, 'triggers[0].actions', "treatment for channel 'sms'"],
    [{ ...ROUTER, context: { mood: 'x' } }, 'triggers[0].context.mood', 'not declared'],
  ])('reject %j at the field', (trigger, path, message) => {
    expect(() => compileCatalog(triggerCatalog([trigger]))).toThrow(
      expect.objectContaining({
        issues: expect.arrayContaining([
          expect.objectContaining({ path, message: expect.stringContaining(message) }),
        ]),
      }),
    );
  });
});

describe('trigger → outbound queue → ack', () => {
  let s: Running;
  // The engine's clock runs ahead by `skew`, so that a lease can run out without waiting for it.
  let skew = 0;
  beforeAll(async () => {
    s = await startServer(JSON.stringify(triggerCatalog([ROUTER, MOVING])), {
      clock: () => Date.now() + skew,
    });
    for (const id of ['c1', 'c2'])
      await s.call('PUT', `/v1/customers/${id}`, { key: ADMIN_KEY, body: { attributes: { age: 30 } } });
  });
  afterAll(async () => s.stop());

  it('fires only when the condition holds, restricted to its actions, and queues the message', async () => {
    const minor = await s.call('POST', '/v1/events', { body: [alert('c1', 'minor'), alert('c1', 'minor')] });
    expect(minor.status).toBe(200);
    expect(minor.body.triggered).toEqual([]);
    // The third fault in a week crosses the threshold the features were updated to.
    const third = await s.call('POST', '/v1/events', { body: alert('c1', 'minor') });
    expect(third.body.triggered).toEqual([
      expect.objectContaining({
        trigger: 'router-faults',
        index: 0,
        customerId: 'c1',
        actions: ['TechVisit'],
        queued: true,
      }),
    ]);
    const decision = await s.call('GET', `/v1/decisions/${third.body.triggered[0].decisionId}`, {
      key: ADMIN_KEY,
    });
    expect(decision.body.channel).toBe('sms');
    // Upsell has the larger value but is not among the trigger's actions.
    expect(decision.body.dropped).toContainEqual(
      expect.objectContaining({ actionId: 'Upsell', stage: 'trigger' }),
    );

    const claimed = await s.call('GET', '/v1/outbound?channel=sms&limit=5&leaseSeconds=30');
    expect(claimed.status).toBe(200);
    expect(claimed.body.items).toHaveLength(1);
    const item = claimed.body.items[0];
    expect(item).toMatchObject({
      customerId: 'c1',
      channel: 'sms',
      attempts: 1,
      decisionId: third.body.triggered[0].decisionId,
      trigger: { id: 'router-faults', eventType: 'device_alert', eventSeq: third.body.seqs[0] },
      actions: [{ actionId: 'TechVisit', treatment: { title: 'Book a repair slot' } }],
    });
    // Claimed: nobody else gets it during the lease.
    expect((await s.call('GET', '/v1/outbound?channel=sms')).body.items).toEqual([]);
    const wrong = await s.call('POST', `/v1/outbound/${item.id}/ack`, { body: { claimToken: 'nope' } });
    expect(wrong.status).toBe(409);
    expect(wrong.body.field).toBe('body.claimToken');
    const ack = await s.call('POST', `/v1/outbound/${item.id}/ack`, {
      body: { claimToken: item.claimToken },
    });
    expect(ack.status).toBe(200);
    const again = await s.call('POST', `/v1/outbound/${item.id}/ack`, {
      body: { claimToken: item.claimToken },
    });
    expect(again.status).toBe(409);
    const stats = await s.call('GET', '/v1/outbound/stats', { key: ADMIN_KEY });
    expect(stats.body.channels).toContainEqual({
      channel: 'sms',
      pending: 0,
      claimed: 0,
      done: 1,
      failed: 0,
    });
  });

  it('respects contact policies: a second trigger the same day decides but sends nothing', async () => {
    const critical = await s.call('POST', '/v1/events', { body: alert('c1', 'critical') });
    expect(critical.body.triggered).toEqual([
      expect.objectContaining({ trigger: 'router-faults', actions: [], queued: false }),
    ]);
    const decision = await s.call('GET', `/v1/decisions/${critical.body.triggered[0].decisionId}`, {
      key: ADMIN_KEY,
    });
    expect(decision.body.dropped).toContainEqual(
      expect.objectContaining({ actionId: 'TechVisit', stage: 'contactPolicy' }),
    );
  });

  it('offers a released or lease-expired message again, and skips unknown customers', async () => {
    const moved = await s.call('POST', '/v1/events', {
      body: [
        {
          customerId: 'c2',
          type: 'life_event',
          timestamp: new Date().toISOString(),
          payload: { kind: 'moving' },
        },
        {
          customerId: 'ghost',
          type: 'life_event',
          timestamp: new Date().toISOString(),
          payload: { kind: 'moving' },
        },
        {
          customerId: 'c2',
          type: 'life_event',
          timestamp: new Date().toISOString(),
          payload: { kind: 'newBaby' },
        },
      ],
    });
    expect(moved.body.triggered).toEqual([
      expect.objectContaining({ trigger: 'moving', index: 0, actions: ['Move'], queued: true }),
      expect.objectContaining({
        trigger: 'moving',
        index: 1,
        skipped: expect.stringContaining('unknown customer'),
      }),
    ]);
    const first = (await s.call('GET', '/v1/outbound?channel=email&leaseSeconds=1')).body.items[0];
    const released = await s.call('POST', `/v1/outbound/${first.id}/release`, {
      body: { claimToken: first.claimToken, retryInSeconds: 0, error: 'mail server down' },
    });
    expect(released.status).toBe(200);
    const second = (await s.call('GET', '/v1/outbound?channel=email&leaseSeconds=1')).body.items[0];
    expect(second).toMatchObject({ id: first.id, attempts: 2, lastError: 'mail server down' });
    skew += 1100;
    const third = (await s.call('GET', '/v1/outbound?channel=email')).body.items[0];
    expect(third).toMatchObject({ id: first.id, attempts: 3 });
    // The expired claim's token no longer settles it.
    const stale = await s.call('POST', `/v1/outbound/${first.id}/ack`, {
      body: { claimToken: second.claimToken },
    });
    expect(stale.status).toBe(409);
  });

  it('names bad queue requests', async () => {
    const web = await s.call('GET', '/v1/outbound?channel=web');
    expect(web.status).toBe(400);
    expect(web.body.field).toBe('querystring.channel');
    const limit = await s.call('GET', '/v1/outbound?channel=sms&limit=0');
    expect(limit.status).toBe(400);
    expect(limit.body.field).toBe('querystring.limit');
    const unknown = await s.call('POST', '/v1/outbound/999/ack', { body: { claimToken: 'x' } });
    expect(unknown.status).toBe(404);
  });
});

describe('webhook delivery', () => {
  it('posts signed messages, retries failures with backoff and acknowledges on 2xx', async () => {
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    let failuresLeft = 2;
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        if (failuresLeft-- > 0) {
          res.writeHead(503).end();
          return;
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const s = await startServer(JSON.stringify(triggerCatalog([MOVING])), {
      webhook: { url, secret: 'shh', pollMs: 50, backoffMs: 100 },
    });
    try {
      await s.call('PUT', '/v1/customers/c9', { key: ADMIN_KEY, body: { attributes: { age: 50 } } });
      const fired = await s.call('POST', '/v1/events', {
        body: {
          customerId: 'c9',
          type: 'life_event',
          timestamp: new Date().toISOString(),
          payload: { kind: 'moving' },
        },
      });
      expect(fired.body.triggered[0].queued).toBe(true);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const stats = await s.call('GET', '/v1/outbound/stats', { key: ADMIN_KEY });
        if (stats.body.channels[0]?.done === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(received).toHaveLength(3);
      expect(received.map((r) => r.headers['x-nextbest-attempt'])).toEqual(['1', '2', '3']);
      for (const r of received) {
        const ts = r.headers['x-nextbest-timestamp'] as string;
        expect(r.headers['x-nextbest-signature']).toBe(webhookSignature('shh', ts, r.body));
      }
      expect(JSON.parse(received[2]!.body)).toMatchObject({
        customerId: 'c9',
        channel: 'email',
        trigger: { id: 'moving' },
        actions: [{ actionId: 'Move' }],
      });
      // A webhook channel is not also served by the pull queue.
      const pull = await s.call('GET', '/v1/outbound?channel=email');
      expect(pull.status).toBe(409);
    } finally {
      await s.stop();
      receiver.close();
    }
  });
});
