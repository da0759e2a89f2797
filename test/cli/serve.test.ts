// `nextbest serve` on a port that is taken ends with the option at fault, alone and with workers.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../server/harness.ts';

describe('nextbest serve', () => {
  it.each(['1', '2'])('names a port in use and exits (%s worker(s))', async (workers) => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const { port } = taken.address() as { port: number };
    try {
      await expect(
        spawnServer(['--db', ':memory:', '--no-demo-data', '--port', String(port), '--workers', workers]),
      ).rejects.toThrow(
        new RegExp(`server exited with 1:[\\s\\S]*--port: 127\\.0\\.0\\.1:${port} is in use`),
      );
    } finally {
      taken.close();
    }
  });
});
