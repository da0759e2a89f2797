// Events with the features they update and the trigger jobs they fire, and rebuilding every feature state.

import type { CustomerEvent, CustomerFeatureState } from '../../core/events.ts';
import { type EventCursor, type EventRow, FeatureReplay, FIRST_EVENT } from '../rows.ts';
import type { TriggerJob, TriggerJobInput } from '../store.ts';
import type { SqliteStore } from './store.ts';

export async function appendEvents(
  s: SqliteStore,
  events: readonly CustomerEvent[],
  receivedAt: number,
  apply: (state: CustomerFeatureState, event: CustomerEvent) => readonly TriggerJobInput[] | undefined,
  setting?: { key: string; value: string },
): Promise<{ seqs: number[]; jobs: TriggerJob[] }> {
  return s.write(() => {
    if (setting) s.putSetting(setting.key, setting.value);
    const insert = s.sql(
      'INSERT INTO events (customer_id, type, at, channel, payload, received_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const read = s.sql('SELECT state FROM customer_features WHERE customer_id = ?');
    const states = new Map<string, CustomerFeatureState>();
    const seqs: number[] = [];
    const jobs: TriggerJob[] = [];
    const insertJob = s.sql(
      'INSERT INTO trigger_jobs (event_seq, trigger_id, customer_id, event, features, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const e of events) {
      const r = insert.run(
        e.customerId,
        e.type,
        e.at,
        e.channel ?? null,
        JSON.stringify(e.payload),
        receivedAt,
      );
      seqs.push(Number(r.lastInsertRowid));
      let state = states.get(e.customerId);
      if (!state) {
        const row = read.get(e.customerId) as { state: string } | undefined;
        state = row ? (JSON.parse(row.state) as CustomerFeatureState) : {};
        states.set(e.customerId, state);
      }
      const fired = apply(state, e);
      if (fired && fired.length > 0) {
        const eventSeq = seqs[seqs.length - 1]!;
        const event = {
          type: e.type,
          at: e.at,
          ...(e.channel ? { channel: e.channel } : {}),
          payload: e.payload,
        };
        for (const f of fired) {
          const r = insertJob.run(
            eventSeq,
            f.trigger,
            e.customerId,
            JSON.stringify(event),
            JSON.stringify(f.features),
            receivedAt,
          );
          jobs.push({
            id: Number(r.lastInsertRowid),
            eventSeq,
            trigger: f.trigger,
            customerId: e.customerId,
            event,
            features: f.features,
            createdAt: receivedAt,
          });
        }
      }
    }
    const save = s.sql(
      'INSERT INTO customer_features (customer_id, state) VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE SET state = excluded.state',
    );
    for (const [id, state] of states) save.run(id, JSON.stringify(state));
    return { seqs, jobs };
  });
}

export async function rebuildFeatureStates(
  s: SqliteStore,
  apply: (state: CustomerFeatureState, event: CustomerEvent) => void,
): Promise<number> {
  return s.write(() => {
    s.sql('DELETE FROM customer_features').run();
    const save = s.sql('INSERT INTO customer_features (customer_id, state) VALUES (?, ?)');
    const replay = new FeatureReplay(apply, (id, state) => save.run(id, state));
    // Keyset pages: better-sqlite3 cannot write while a statement iterates on the same connection.
    const page = s.sql(
      `SELECT seq, customer_id, type, at, channel, payload FROM events
       WHERE (customer_id, at, seq) > (?, ?, ?) ORDER BY customer_id, at, seq LIMIT 5000`,
    );
    for (let after: EventCursor | undefined = FIRST_EVENT; after; )
      after = replay.page(page.all(...after) as EventRow[]);
    replay.finish();
    return replay.count;
  });
}
