// PostgreSQL: events with the features they update and the trigger jobs they fire, and rebuilding every feature state.

import type { CustomerEvent, CustomerFeatureState } from '../../core/events.ts';
import { type EventCursor, type EventRow, FeatureReplay, FIRST_EVENT } from '../rows.ts';
import type { TriggerJob, TriggerJobInput } from '../store.ts';
import { LOCK_APP, LOCK_FEATURES, putSetting } from './sql.ts';
import type { PostgresStore } from './store.ts';

// ---- events and features --------------------------------------------------------------------------------

export async function appendEvents(
  s: PostgresStore,
  events: readonly CustomerEvent[],
  receivedAt: number,
  apply: (state: CustomerFeatureState, event: CustomerEvent) => readonly TriggerJobInput[] | undefined,
  setting?: { key: string; value: string },
): Promise<{ seqs: number[]; jobs: TriggerJob[] }> {
  return s.tx(async (c) => {
    // A rebuild of every state takes this lock exclusively; appends share it.
    await c.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [LOCK_APP, LOCK_FEATURES]);
    if (setting) await putSetting(c, setting.key, setting.value);
    if (events.length === 0) return { seqs: [], jobs: [] };
    // Sequence numbers drawn in order first, so each event's number is known without relying on the order
    // RETURNING gives rows in.
    const seqs = (
      await c.query<{ seq: number }>("SELECT nextval('events_seq_seq') AS seq FROM generate_series(1, $1)", [
        events.length,
      ])
    ).rows.map((r) => r.seq);
    await c.query(
      `INSERT INTO events (seq, customer_id, type, at, channel, payload, received_at)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::bigint[])`,
      [
        seqs,
        events.map((e) => e.customerId),
        events.map((e) => e.type),
        events.map((e) => e.at),
        events.map((e) => e.channel ?? null),
        events.map((e) => JSON.stringify(e.payload)),
        events.map(() => receivedAt),
      ],
    );
    // Each customer's state row is locked (created first when missing, in a fixed order against deadlocks),
    // so concurrent writers apply their events one after the other and never lose an update.
    const ids = [...new Set(events.map((e) => e.customerId))].sort();
    await c.query(
      "INSERT INTO customer_features (customer_id, state) SELECT unnest($1::text[]), '{}' ON CONFLICT DO NOTHING",
      [ids],
    );
    const states = new Map<string, CustomerFeatureState>();
    for (const r of (
      await c.query<{ customer_id: string; state: string }>(
        'SELECT customer_id, state FROM customer_features WHERE customer_id = ANY($1) ORDER BY customer_id FOR UPDATE',
        [ids],
      )
    ).rows)
      states.set(r.customer_id, JSON.parse(r.state) as CustomerFeatureState);
    const fired: Array<{ eventSeq: number; e: CustomerEvent; job: TriggerJobInput }> = [];
    events.forEach((e, i) => {
      let state = states.get(e.customerId);
      if (!state) {
        state = {};
        states.set(e.customerId, state);
      }
      for (const job of apply(state, e) ?? []) fired.push({ eventSeq: seqs[i]!, e, job });
    });
    const jobs: TriggerJob[] = [];
    if (fired.length > 0) {
      const eventOf = (e: CustomerEvent) => ({
        type: e.type,
        at: e.at,
        ...(e.channel ? { channel: e.channel } : {}),
        payload: e.payload,
      });
      const ids = (
        await c.query<{ id: number }>(
          `INSERT INTO trigger_jobs (event_seq, trigger_id, customer_id, event, features, created_at)
           SELECT a, b, c, d, e, f
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
             WITH ORDINALITY AS t(a, b, c, d, e, f, n) ORDER BY n
           RETURNING id`,
          [
            fired.map((f) => f.eventSeq),
            fired.map((f) => f.job.trigger),
            fired.map((f) => f.e.customerId),
            fired.map((f) => JSON.stringify(eventOf(f.e))),
            fired.map((f) => JSON.stringify(f.job.features)),
            fired.map(() => receivedAt),
          ],
        )
      ).rows
        .map((r) => r.id)
        // Identity values follow the insertion order; sorting keeps them paired with `fired` either way.
        .sort((a, b) => a - b);
      fired.forEach((f, k) => {
        jobs.push({
          id: ids[k]!,
          eventSeq: f.eventSeq,
          trigger: f.job.trigger,
          customerId: f.e.customerId,
          event: eventOf(f.e),
          features: f.job.features,
          createdAt: receivedAt,
        });
      });
    }
    await c.query(
      `UPDATE customer_features f SET state = s.state
       FROM unnest($1::text[], $2::text[]) AS s(customer_id, state) WHERE f.customer_id = s.customer_id`,
      [[...states.keys()], [...states.values()].map((s) => JSON.stringify(s))],
    );
    return { seqs, jobs };
  });
}

export async function rebuildFeatureStates(
  s: PostgresStore,
  apply: (state: CustomerFeatureState, event: CustomerEvent) => void,
): Promise<number> {
  return s.tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_APP, LOCK_FEATURES]);
    await c.query('DELETE FROM customer_features');
    const done: Array<[string, string]> = [];
    const replay = new FeatureReplay(apply, (id, state) => done.push([id, state]));
    const flush = async (force: boolean) => {
      if (done.length === 0 || (!force && done.length < 1000)) return;
      await c.query(
        'INSERT INTO customer_features (customer_id, state) SELECT * FROM unnest($1::text[], $2::text[])',
        [done.map((d) => d[0]), done.map((d) => d[1])],
      );
      done.length = 0;
    };
    for (let after: EventCursor | undefined = FIRST_EVENT; after; ) {
      const { rows } = await c.query<EventRow>(
        `SELECT seq, customer_id, type, at, channel, payload FROM events
         WHERE (customer_id, at, seq) > ($1, $2, $3) ORDER BY customer_id, at, seq LIMIT 5000`,
        after,
      );
      after = replay.page(rows);
      await flush(false);
    }
    replay.finish();
    await flush(true);
    return replay.count;
  });
}
