import { chmod, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../platform/database/embedded-postgres.js';

describe('the embedded PostgreSQL that stops while starting', () => {
  it('is started again a few times, then fails with the server’s own reason (not an empty rejection)', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'cc-pg-busy-'));
    await chmod(root, 0o755);
    // Its port is taken: the server stops at once, every time.
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const logged: string[] = [];
    try {
      const err = await startEmbeddedPostgres({
        dataDir: path.join(root, 'postgres'),
        port,
        database: 'x',
        log: (m) => logged.push(m),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/stopped while starting, 5 times: .*(TCP\/IP|Address already in use)/);
      expect(logged.filter((l) => /trying again/.test(l))).toHaveLength(4);
    } finally {
      blocker.close();
      await rm(root, { recursive: true, force: true });
    }
  }, 60_000);
});
