// serveDashboard(): the HTTP server behind --dashboard — page, /events (SSE), /api/snapshot and /metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DashboardError } from '../errors.js';
import type { MetricEvent, MetricsBus } from '../metrics/events.js';
import { redactValue } from '../redact.js';
import { allowedHosts, checkRequest, cookieName, newToken } from './access.js';
import { hostPort } from './address.js';
import { dashboardOptions, type DashboardSpec } from './options.js';
import { PrometheusMetrics } from './prometheus.js';
import { EventHub } from './sse.js';
import { SnapshotAggregator } from './snapshot.js';
import type { DashboardSnapshot } from './snapshot-types.js';
import { loadStaticFiles, type StaticFile } from './static-files.js';

/** A running dashboard. */
export interface DashboardHandle {
  /** The page's URL, token included (what is printed on stderr). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** The totals /api/snapshot serves. */
  snapshot(): DashboardSnapshot;
  /** End every open event stream; pages reconnect by themselves. */
  restartEvents(): void;
  /** Stop listening and end every connection. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // The token is in the page's URL: never send it on to anyone as a referrer.
  'referrer-policy': 'no-referrer',
};

/**
 * Events that carry only numbers and a dataset id (a config id, never a secret): the per-batch ones, where a deep
 * redacting copy would be most of the dashboard's cost. Everything else (skips with keys and messages) is redacted.
 */
const NUMERIC_EVENTS = new Set([
  'loader.batch',
  'loader.queue',
  'loader.wait',
  'loader.throughput',
  'pool.utilization',
]);

interface Parts {
  token: string;
  hosts: Set<string> | null;
  cookie: string;
  files: Map<string, StaticFile>;
  snap: SnapshotAggregator;
  prom: PrometheusMetrics;
  hub: EventHub;
}

function deny(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}

async function route(p: Parts, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const file = p.files.get(url.pathname);
  if (file) {
    const cookie = `${p.cookie}=${p.token}; HttpOnly; SameSite=Strict; Path=/`;
    const extra = url.pathname === '/' ? { 'set-cookie': cookie, 'cache-control': 'no-store' } : {};
    res.writeHead(200, { ...SECURITY_HEADERS, ...extra, 'content-type': file.type }).end(file.body);
  } else if (url.pathname === '/events') {
    p.hub.attach(res);
  } else if (url.pathname === '/api/snapshot') {
    const body = JSON.stringify(p.snap.get());
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(body);
  } else if (url.pathname === '/metrics') {
    const body = await p.prom.text();
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': p.prom.contentType }).end(body);
  } else deny(res, 404, 'Not found');
}

function handler(p: Parts) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD') return deny(res, 405, 'Only GET');
    const status = checkRequest(req, url, p);
    if (status === 403) return deny(res, 403, 'Forbidden: the Host header does not name this server');
    if (status === 401) return deny(res, 401, 'Unauthorized: open the URL with ?token= printed on stderr');
    route(p, req, res, url).catch((err: unknown) => {
      if (!res.headersSent) deny(res, 500, `Dashboard error: ${(err as Error).message}`);
      else res.destroy();
    });
  };
}

async function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((err: NodeJS.ErrnoException) => {
    throw new DashboardError(`The dashboard cannot listen on ${hostPort(host, port)}: ${err.code ?? err.message}`, {
      field: 'dashboard',
      cause: err,
    });
  });
  return server.address() as AddressInfo;
}

/** Serve the dashboard for `metrics`; the server never keeps the process alive by itself. */
export async function serveDashboard(metrics: MetricsBus, spec: DashboardSpec = {}): Promise<DashboardHandle> {
  const o = dashboardOptions(spec);
  const host = o.host ?? '127.0.0.1';
  const snap = new SnapshotAggregator();
  const prom = new PrometheusMetrics();
  const hub = new EventHub({ intervalMs: o.eventIntervalMs ?? 100, snapshot: () => snap.get() });
  const files = await loadStaticFiles();
  const parts: Parts = { token: o.token ?? newToken(), hosts: null, cookie: '', files, snap, prom, hub };
  const server = createServer(handler(parts));
  const addr = await listen(server, host, o.port ?? 0);
  parts.hosts = allowedHosts(host, addr.port);
  parts.cookie = cookieName(addr.port);
  server.unref();
  server.on('connection', (socket) => socket.unref());
  const off = metrics.subscribe((e: MetricEvent) => {
    const r = NUMERIC_EVENTS.has(e.type) ? e : redactValue(e);
    snap.apply(r);
    prom.apply(r);
    hub.publish(r);
  });
  const beat = setInterval(() => hub.heartbeat(), 1000).unref();
  const url = `http://${hostPort(host, addr.port)}/?token=${parts.token}`;
  if (o.announce !== null) (o.announce ?? process.stderr).write(`tunefeed dashboard: ${url}\n`);
  return {
    url,
    host,
    port: addr.port,
    token: parts.token,
    snapshot: () => snap.get(),
    restartEvents: () => hub.drop(),
    close: async () => {
      off();
      clearInterval(beat);
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
