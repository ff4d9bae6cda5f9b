import { readFileSync } from 'node:fs';
import net from 'node:net';

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * The lowest port the kernel hands out to outgoing connections. A port chosen above it can
 * be free when checked and then taken as the local end of some test's HTTP or database
 * connection before the server binds it (the engine then exits with "Port already in use").
 */
function ephemeralFloor(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 12_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/** A run of `count` consecutive free loopback ports below the ephemeral range, so tests never collide. */
export async function freePorts(count: number): Promise<number[]> {
  const floor = 10_000;
  const ceiling = ephemeralFloor() - count;
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = floor + Math.floor(Math.random() * (ceiling - floor));
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.map(isFree));
    if (free.every(Boolean)) return ports;
  }
  throw new Error('no free port range found');
}
