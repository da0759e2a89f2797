// The SQLite writer thread: a connection of its own on the database file that runs the hot writes (decision
// commits, outcomes, profiles) so that their transactions, and the COMMIT's write-ahead-log writes and fsync,
// cost the event loop nothing. It is a SqliteStore itself: its group commit batches what arrives together, and
// SQLite's write lock keeps its transactions and those of the main connection (and other processes) one at a
// time, so every check made inside a transaction (budgets, caps, idempotency) holds as before.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './store.ts';
import { WRITER_METHODS, type WriterCall, type WriterReply } from './writerClient.ts';

const { path } = workerData as { path: string };
const store = new SqliteStore(path);
const port = parentPort!;

port.on('message', (call: WriterCall | 'close') => {
  if (call === 'close') {
    // The thread's loader (tsx) keeps a handle open: the thread ends itself once the connection is closed.
    void store.close().then(() => process.exit(0));
    return;
  }
  if (!WRITER_METHODS.includes(call.method)) {
    port.postMessage({ id: call.id, ok: false, error: { message: `not a writer method: ${call.method}` } });
    return;
  }
  const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
  method.apply(store, call.args).then(
    (value) => port.postMessage({ id: call.id, ok: true, value } satisfies WriterReply),
    (error: unknown) => {
      const e = error as { message?: string; name?: string; code?: string };
      port.postMessage({
        id: call.id,
        ok: false,
        error: { message: e?.message ?? String(error), name: e?.name, code: e?.code },
      } satisfies WriterReply);
    },
  );
});
