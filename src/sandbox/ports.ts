// Free loopback ports for throwaway clusters.
import net from 'node:net';

export const HOST = '127.0.0.1';

// Ports handed out by this process and not yet released by their cluster:
// binding port 0 and releasing it can hand the same port to two concurrent
// startCluster calls before either server has bound it.
const reservedPorts = new Set<number>();

export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen(0, HOST, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !reservedPorts.has(port)) {
      reservedPorts.add(port);
      return port;
    }
  }
  throw new Error('could not find a free loopback port');
}

export function releasePort(port: number): void {
  reservedPorts.delete(port);
}
