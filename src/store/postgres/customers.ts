// Customers on PostgreSQL: profiles, derived feature states, and an erasure that removes everything held about one.
import type { CustomerFeatureState } from '../../core/events.ts';
import type { Attributes, Customer } from '../../core/types.ts';
import { type CustomerRow, toCustomer } from '../rows.ts';
import type { AuditOf, ErasureReport } from '../store.ts';
import { appendAuditIn } from './sql.ts';
import type { PostgresStore } from './store.ts';

export async function getCustomer(s: PostgresStore, id: string): Promise<Customer | undefined> {
  const [row] = await s.query<CustomerRow>('SELECT * FROM customers WHERE id = $1', [id]);
  return row && toCustomer(row);
}

export async function putCustomer(s: PostgresStore, id: string, attributes: Attributes, now: number) {
  // xmax = 0 only on a row this statement inserted.
  const [row] = await s.query<{ created_at: number; created: boolean }>(
    `INSERT INTO customers (id, attributes, created_at, updated_at) VALUES ($1, $2, $3, $3)
     ON CONFLICT (id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at
     RETURNING created_at, (xmax = 0) AS created`,
    [id, JSON.stringify(attributes), now],
  );
  return {
    customer: { id, attributes, createdAt: row!.created_at, updatedAt: now },
    created: row!.created,
  };
}

export async function deleteCustomer(
  s: PostgresStore,
  id: string,
  audit?: AuditOf<ErasureReport>,
): Promise<ErasureReport> {
  return s.tx(async (c) => {
    const count = async (sql: string) => (await c.query(sql, [id])).rowCount ?? 0;
    const outcomes = await count(
      'DELETE FROM outcomes WHERE customer_id = $1 OR decision_id IN (SELECT id FROM decisions WHERE customer_id = $1)',
    );
    await count('DELETE FROM choices WHERE customer_id = $1');
    const decisions = await count('DELETE FROM decisions WHERE customer_id = $1');
    const interactions = await count('DELETE FROM interactions WHERE customer_id = $1');
    const events = await count('DELETE FROM events WHERE customer_id = $1');
    await count('DELETE FROM outbound WHERE customer_id = $1');
    await count('DELETE FROM trigger_jobs WHERE customer_id = $1');
    await count('DELETE FROM customer_features WHERE customer_id = $1');
    const customer = (await count('DELETE FROM customers WHERE id = $1')) > 0;
    const report = { customer, decisions, outcomes, interactions, events };
    await appendAuditIn(c, audit?.(report));
    return report;
  });
}

export async function countCustomers(s: PostgresStore): Promise<number> {
  const [row] = await s.query<{ n: number }>('SELECT count(*) AS n FROM customers');
  return row!.n;
}

export async function featureState(s: PostgresStore, customerId: string): Promise<CustomerFeatureState> {
  const [row] = await s.query<{ state: string }>(
    'SELECT state FROM customer_features WHERE customer_id = $1',
    [customerId],
  );
  return row ? (JSON.parse(row.state) as CustomerFeatureState) : {};
}
