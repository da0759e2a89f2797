// Customers on SQLite: profiles, derived feature states, and an erasure that removes everything held about one.
import type { CustomerFeatureState } from '../../core/events.ts';
import type { Customer } from '../../core/types.ts';
import { type CustomerRow, toCustomer } from '../rows.ts';
import type { AuditOf, ErasureReport } from '../store.ts';
import type { SqliteStore } from './store.ts';

export async function getCustomer(s: SqliteStore, id: string): Promise<Customer | undefined> {
  const row = s.sql('SELECT * FROM customers WHERE id = ?').get(id) as CustomerRow | undefined;
  return row && toCustomer(row);
}

export async function deleteCustomer(
  s: SqliteStore,
  id: string,
  audit?: AuditOf<ErasureReport>,
): Promise<ErasureReport> {
  return s.write(() => {
    const outcomes = s
      .sql(
        'DELETE FROM outcomes WHERE customer_id = ? OR decision_id IN (SELECT id FROM decisions WHERE customer_id = ?)',
      )
      .run(id, id).changes;
    s.sql('DELETE FROM choices WHERE customer_id = ?').run(id);
    const decisions = s.sql('DELETE FROM decisions WHERE customer_id = ?').run(id).changes;
    const interactions = s.sql('DELETE FROM interactions WHERE customer_id = ?').run(id).changes;
    const events = s.sql('DELETE FROM events WHERE customer_id = ?').run(id).changes;
    s.sql('DELETE FROM outbound WHERE customer_id = ?').run(id);
    s.sql('DELETE FROM trigger_jobs WHERE customer_id = ?').run(id);
    s.sql('DELETE FROM customer_features WHERE customer_id = ?').run(id);
    const customer = s.sql('DELETE FROM customers WHERE id = ?').run(id).changes > 0;
    const report = { customer, decisions, outcomes, interactions, events };
    s.appendAuditNow(audit?.(report));
    return report;
  });
}

export async function featureState(s: SqliteStore, customerId: string): Promise<CustomerFeatureState> {
  const row = s.sql('SELECT state FROM customer_features WHERE customer_id = ?').get(customerId) as
    | { state: string }
    | undefined;
  return row ? (JSON.parse(row.state) as CustomerFeatureState) : {};
}

export async function countCustomers(s: SqliteStore): Promise<number> {
  return (s.sql('SELECT count(*) AS n FROM customers').get() as { n: number }).n;
}
