// /metrics over HTTP for a Prometheus scraper. Each scrape reads the
// databases once; scrapes that arrive while one is running share it.
import { createServer, type Server } from 'node:http';
import { renderPrometheus, METRICS_CONTENT_TYPE } from './prometheus.js';
import type { ReplicationSample } from './sample.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `127.0.0.1:9187`, `[::1]:9187` or `:9187` (loopback); undefined when it is none of these. */
export function parseListen(text: string): ListenAddress | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

export function serveMetrics(address: ListenAddress, collect: () => Promise<ReplicationSample>, log: (s: string) => void): Promise<Server> {
  let running: Promise<string> | undefined;
  const scrape = () => {
    running ??= collect()
      .then(renderPrometheus)
      .finally(() => (running = undefined));
    return running;
  };
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/metrics') {
      res.writeHead(path === '/' ? 200 : 404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(path === '/' ? 'pgedge-migrate metrics: see /metrics\n' : 'not found: see /metrics\n');
      return;
    }
    scrape().then(
      (body) => res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE }).end(req.method === 'HEAD' ? undefined : body),
      (e) => {
        log(`scrape failed: ${(e as Error).message}\n`);
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`scrape failed: ${(e as Error).message}\n`);
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
