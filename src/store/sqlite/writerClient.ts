// The main thread's side of the SQLite writer thread (writer.ts): calls go out as messages and their promises
// settle with the thread's answer, which it sends only once the transaction is committed (durable).
import { Worker } from 'node:worker_threads';

/** The writes the thread runs: plain data in, plain data out (no callbacks cross a thread). */
export const WRITER_METHODS = ['commitEncoded', 'recordOutcome', 'putCustomer'] as const;
export type WriterMethod = (typeof WRITER_METHODS)[number];

export interface WriterCall {
  id: number;
  method: WriterMethod;
  args: unknown[];
}

/** What crosses to the thread: the calls made in one turn of the event loop, as one message. */
export type WriterMessage = WriterCall[] | 'close';

export type WriterReply =
  | { id: number; ok: true; value: unknown }
  | {
      id: number;
      ok: false;
      error: { message: string; name?: string | undefined; code?: string | undefined };
    };

/**
 * Collects what is sent during one turn of the event loop and sends it as one message: both sides of the writer
 * thread post far fewer messages when decisions arrive together (each post wakes the other thread).
 */
export function perTurn<T>(send: (items: T[]) => void): (item: T) => void {
  let items: T[] = [];
  return (item) => {
    if (items.length === 0)
      setImmediate(() => {
        const out = items;
        items = [];
        send(out);
      });
    items.push(item);
  };
}

/** From the sources the thread registers its own TypeScript loader first; the build runs the writer as it is. */
const WRITER_ENTRY = import.meta.url.endsWith('.ts') ? './writerThread.mjs' : './writer.js';

export class WriterThread {
  private readonly worker: Worker;
  private next = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private failure: Error | undefined;

  constructor(path: string) {
    this.worker = new Worker(new URL(WRITER_ENTRY, import.meta.url), { workerData: { path } });
    this.worker.on('message', (replies: WriterReply[]) => {
      for (const reply of replies) {
        const waiting = this.pending.get(reply.id);
        if (!waiting) continue;
        this.pending.delete(reply.id);
        if (reply.ok) waiting.resolve(reply.value);
        else waiting.reject(Object.assign(new Error(reply.error.message), reply.error));
      }
    });
    // A thread that fails (it could not open the file, it ran out of memory) fails what waits on it and
    // every later write: nothing is acknowledged that it did not commit.
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const w of this.pending.values()) w.reject(error);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the SQLite writer thread stopped (exit code ${code})`)));
  }

  /** Whether the thread has failed (its writes fail; the store starts another when its probe passes). */
  get stopped(): boolean {
    return this.failure !== undefined;
  }

  /** The calls of one turn go as one message (the thread commits them together and answers them as one). */
  private readonly send = perTurn<WriterCall>((calls) => {
    if (!this.failure) this.worker.postMessage(calls satisfies WriterMessage); // else fail() rejected them
  });

  call<T>(method: WriterMethod, args: unknown[]): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = ++this.next;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ id, method, args });
    });
  }

  /** Waits for the writes under way, then stops the thread. */
  async close(): Promise<void> {
    while (this.pending.size > 0 && !this.failure) await new Promise((r) => setTimeout(r, 1));
    if (this.failure) {
      await this.worker.terminate();
      return;
    }
    const exited = new Promise((r) => this.worker.once('exit', r));
    this.worker.postMessage('close' satisfies WriterMessage);
    await exited;
  }
}
