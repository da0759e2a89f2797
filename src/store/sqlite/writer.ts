// The SQLite writer thread: a connection of its own on the database file that runs the hot writes (decision
// commits, outcomes, profiles) so that their transactions, and the COMMIT's write-ahead-log writes and fsync,
// cost the event loop nothing. It is a SqliteStore itself: its group commit batches what arrives together, and
// SQLite's write lock keeps its transactions and those of the main connection (and other processes) one at a
// time, so every check made inside a transaction (budgets, caps, idempotency) holds as before.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './store.ts';
import { perTurn, WRITER_METHODS, type WriterMessage, type WriterReply } from './writerClient.ts';

const { path } = workerData as { path: string };
const store = new SqliteStore(path);
const port = parentPort!;

/** Answers settled in one turn (one commit's) go back as one message. */
const reply = perTurn<WriterReply>((replies) => port.postMessage(replies));

port.on('message', (message: WriterMessage) => {
  if (message === 'close') {
    // The thread's loader (tsx) keeps a handle open: the thread ends itself once the connection is closed.
    void store.close().then(() => process.exit(0));
    return;
  }
  for (const call of message) {
    if (!WRITER_METHODS.includes(call.method)) {
      reply({ id: call.id, ok: false, error: { message: `not a writer method: ${call.method}` } });
      continue;
    }
    const method = store[call.method] as (...args: unknown[]) => Promise<unknown>;
    method.apply(store, call.args).then(
      (value) => reply({ id: call.id, ok: true, value }),
      (error: unknown) => {
        const e = error as { message?: string; name?: string; code?: string };
        reply({
          id: call.id,
          ok: false,
          error: { message: e?.message ?? String(error), name: e?.name, code: e?.code },
        });
      },
    );
  }
});
