// An acknowledged outcome survives a crash: kill -9 the server right after the response, then look.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { spawnServer } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-crash-'));
const db = join(dir, 'crash.db');
const env = {
  ...process.env,
  NEXTBEST_API_KEY: 'crash-api-key-0123456789',
  NEXTBEST_ADMIN_KEY: 'crash-admin-key-0123456789',
};
const auth = { authorization: `Bearer ${env.NEXTBEST_API_KEY}`, 'content-type': 'application/json' };
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function serve() {
  const p = await spawnServer(['--db', db], env);
  children.push(p.child);
  return p;
}

const exited = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve));

describe('durability', () => {
  it('finds an acknowledged outcome after the process is killed right after the response', async () => {
    const first = await serve();
    const decision = (await (
      await fetch(`${first.url}/v1/decide`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ customerId: 'C00001', channel: 'web', limit: 1 }),
      })
    ).json()) as { decisionId: string; actions: Array<{ actionId: string }> };
    const actionId = decision.actions[0]!.actionId;
    const ack = await fetch(`${first.url}/v1/outcomes`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ decisionId: decision.decisionId, actionId, outcome: 'accept' }),
    });
    const gone = exited(first.child);
    first.child.kill('SIGKILL'); // no graceful shutdown, no checkpoint
    expect(ack.status).toBe(200);
    await gone;

    const store = new SqliteStore(db);
    const outcomes = await store.outcomesForDecision(decision.decisionId);
    await store.close();
    expect(outcomes).toEqual([expect.objectContaining({ actionId, outcome: 'accept', learned: true })]);

    // After a restart the decision shows the outcome and the model has replayed it.
    const second = await serve();
    const response = await fetch(`${second.url}/v1/decisions/${decision.decisionId}`, { headers: auth });
    const logged = (await response.json()) as { outcomes: unknown[] };
    expect(logged.outcomes).toEqual([expect.objectContaining({ actionId, outcome: 'accept' })]);
    const health = (await (await fetch(`${second.url}/health`)).json()) as { modelVersion: string };
    expect(health.modelVersion).toBe(`adaptiveBinnedBayes#${outcomes[0]!.seq}`);
    second.child.kill('SIGTERM');
    await exited(second.child);
  });
});
