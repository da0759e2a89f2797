import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { openStore } from '../../src/store/open.ts';
import { smallCatalogDoc } from '../helpers.ts';
import { DIALECTS, type Dialect } from '../store/dialects.ts';

const total = (e: Engine) => e.modelReports().reduce((sum, r) => sum + r.responses, 0);

async function node(url: string, log?: (line: string) => void) {
  const store = await openStore(url);
  const engine = await Engine.open(store, JSON.stringify(smallCatalogDoc()), {
    seed: 1,
    checkpointMs: 0,
    expiryMs: 0,
    ...(log ? { log } : {}),
  });
  return { store, engine };
}

async function learn(e: Engine, customers: number[], outcome: (i: number) => 'accept' | 'reject') {
  for (const i of customers) {
    const d = await e.decide({ customerId: `C${i}`, channel: 'web', limit: 1 });
    await e.recordOutcome({
      decisionId: d.decisionId,
      actionId: d.actions[0]!.actionId,
      outcome: outcome(i),
    });
  }
}

/** One decision for a customer and an acceptance of the given action (one of its answers). */
async function acceptOn(e: Engine, customer: number, actionId: string) {
  const d = await e.decide({ customerId: `C${customer}`, channel: 'web', limit: 4 });
  expect(d.actions.map((a) => a.actionId)).toContain(actionId);
  await e.recordOutcome({ decisionId: d.decisionId, actionId, outcome: 'accept' });
}

const perModel = (e: Engine) => Object.fromEntries(e.modelReports().map((r) => [r.actionId, r.responses]));

async function fresh(dialect: Dialect) {
  const path = dialect.freshUrl();
  const first = await node(path);
  for (let i = 0; i < 40; i++) await first.store.putCustomer(`C${i}`, { age: 20 + i }, 0);
  return { path, first };
}

describe.each(DIALECTS)('model folding across engines on one database ($name)', (dialect) => {
  it('a stored model it cannot read is rebuilt from the outcome log, exactly, with a message', async () => {
    const { path, first: a } = await fresh(dialect);
    await learn(a.engine, [...Array(24).keys()], (i) => (i % 3 ? 'reject' : 'accept'));
    await a.engine.checkpoint();
    await a.engine.close();
    const { models, generation } = await a.store.loadModels();
    const original = models.find((m) => m.state.kind === 'adaptiveBinnedBayes' && m.state.positives)!;
    expect(original).toBeDefined();
    // A newer version's state (or a damaged one) in place of the stored model.
    const newer = { key: original.key, state: { ...original.state, format: 99 } };
    await a.store.foldModels({
      since: generation,
      replayAll: false,
      pending: [],
      quick: () => [newer],
      replay: () => [newer],
    });
    await a.store.close();
    const lines: string[] = [];
    const b = await node(path, (line) => lines.push(line));
    expect(lines).toEqual([
      `model ${original.key}: the stored state cannot be read (adaptiveBinnedBayes state format 99 is newer than this version reads (up to 2)); rebuilding it from the outcome log`,
    ]);
    expect(total(b.engine)).toBe(24);
    const rebuilt = (await b.store.loadModels()).models.find((m) => m.key === original.key)!;
    expect(JSON.stringify(rebuilt.state)).toBe(JSON.stringify(original.state));
    await b.engine.close();
    await b.store.close();
    // Readable again: the next engine opens without a word.
    const quiet: string[] = [];
    const c = await node(path, (line) => quiet.push(line));
    expect(quiet).toEqual([]);
    expect(total(c.engine)).toBe(24);
    await c.engine.close();
    await c.store.close();
  });

  it('two engines learn 10 each: after their folds both hold 20, and so does a restart', async () => {
    const { path, first: a } = await fresh(dialect);
    const b = await node(path);
    await learn(a.engine, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], (i) => (i % 3 ? 'reject' : 'accept'));
    await learn(b.engine, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19], (i) => (i % 2 ? 'reject' : 'accept'));
    expect([total(a.engine), total(b.engine)]).toEqual([10, 10]);
    await a.engine.checkpoint();
    await b.engine.checkpoint();
    await a.engine.checkpoint();
    expect([total(a.engine), total(b.engine)]).toEqual([20, 20]);
    // Folding again changes nothing.
    await b.engine.checkpoint();
    expect(total(b.engine)).toBe(20);
    const stateOf = (e: Engine) => JSON.stringify(e.modelReports());
    expect(stateOf(a.engine)).toBe(stateOf(b.engine));
    for (const x of [a, b]) {
      await x.engine.close();
      await x.store.close();
    }
    const c = await node(path);
    expect(total(c.engine)).toBe(20);
    await c.engine.close();
    await c.store.close();
  });

  it('an engine that stopped without folding loses nothing, and is not counted twice when it folds late', async () => {
    const { path, first: a } = await fresh(dialect);
    const b = await node(path);
    await learn(a.engine, [0, 1, 2, 3, 4], () => 'accept');
    // b folds a's outcomes from the log (as after a crash of a) …
    await b.engine.checkpoint();
    expect(total(b.engine)).toBe(5);
    await learn(b.engine, [5, 6, 7], () => 'reject');
    // … and a, still running, folds later: its live lessons are in the stored models already.
    await a.engine.checkpoint();
    expect(total(a.engine)).toBe(8);
    await learn(a.engine, [8], () => 'accept');
    await a.engine.checkpoint();
    await b.engine.checkpoint();
    expect([total(a.engine), total(b.engine)]).toEqual([9, 9]);
    await a.store.close(); // a "crashes": no close, no fold
    const c = await node(path);
    expect(total(c.engine)).toBe(9);
    await c.engine.close();
    await c.store.close();
    await b.engine.close();
    await b.store.close();
  });

  // A replayed fold adopts the models other engines wrote since its last fold; a later replay must start from
  // them, not from what this engine last loaded or wrote itself (it once did, and lost them).
  it('an engine keeps the models others folded when a later fold replays again', async () => {
    const { path, first: a } = await fresh(dialect);
    const b = await node(path);
    await acceptOn(a.engine, 0, 'B1');
    await a.engine.checkpoint(); // writes B1
    await acceptOn(b.engine, 1, 'R1');
    await b.engine.checkpoint(); // takes in a's B1, writes R1
    await acceptOn(a.engine, 2, 'R1');
    await a.engine.checkpoint(); // takes in b's R1, writes R1
    await b.engine.checkpoint(); // takes in a's R1 and must keep a's B1
    const expected = { A1: 0, A2: 0, B1: 1, R1: 2 };
    expect(perModel(a.engine)).toMatchObject(expected);
    expect(perModel(b.engine)).toMatchObject(expected);
    for (const x of [a, b]) {
      await x.engine.close();
      await x.store.close();
    }
  });

  // The store commits an outcome and a fold reads it from the log before the engine resumes to learn it live
  // (another connection, or SQLite's writer thread): the adopted models hold it, so it is not taught twice.
  it('an outcome a fold took from the log before the engine learned it live is learned once', async () => {
    const { first } = await fresh(dialect);
    let engine: Engine | undefined;
    const store = new Proxy(first.store, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (key !== 'recordOutcome') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          await engine!.checkpoint();
          return result;
        };
      },
    });
    engine = await Engine.open(store, JSON.stringify(smallCatalogDoc()), {
      seed: 1,
      checkpointMs: 0,
      expiryMs: 0,
    });
    await acceptOn(engine, 0, 'R1');
    await acceptOn(engine, 1, 'B1');
    expect(perModel(engine)).toMatchObject({ A1: 0, A2: 0, B1: 1, R1: 1 });
    await engine.checkpoint();
    expect(perModel(engine)).toMatchObject({ A1: 0, A2: 0, B1: 1, R1: 1 });
    await engine.close();
    await first.engine.close();
    await first.store.close();
  });

  it('one engine learning many outcomes at once folds them without replaying the log', async () => {
    const { first: a } = await fresh(dialect);
    const decisions = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        a.engine.decide({ customerId: `C${i}`, channel: 'web', limit: 1 }),
      ),
    );
    const registry = (a.engine as unknown as { registry: { folds: { quick: number; replayed: number } } })
      .registry;
    for (let round = 0; round < 3; round++) {
      await Promise.all([
        ...decisions.slice(round * 10, round * 10 + 10).map((d) =>
          a.engine.recordOutcome({
            decisionId: d.decisionId,
            actionId: d.actions[0]!.actionId,
            outcome: 'accept',
          }),
        ),
        // A fold asked for just after them, before they commit (within the same turn of the event loop).
        (async () => {
          for (let i = 0; i < 20; i++) await null;
          await a.engine.checkpoint();
        })(),
      ]);
      await a.engine.checkpoint();
    }
    expect(total(a.engine)).toBe(30);
    if (dialect.name === 'sqlite') expect(registry.folds.replayed).toBe(0);
    await a.engine.close();
    await a.store.close();
  });
});
