// A fault-injecting reverse proxy on 127.0.0.1: 503 SlowDown, 500, resets, bodies cut mid-way, latency, per a plan.
import http from 'node:http';
import { listenLoopback } from './loopback.js';
import type { TeardownHost } from './s3-server.js';

/** What to do with one request. */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'slowdown' }
  | { kind: 'status'; status: number; code?: string }
  | { kind: 'reset' }
  | { kind: 'truncate'; fraction?: number }
  | { kind: 'delay'; ms: number };

/** The request as the plan sees it; `n` counts from 1 across the proxy's life. */
export interface ProxiedRequest {
  n: number;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface FaultProxy {
  url: string;
  port: number;
  /** Replace the plan (e.g. to turn faults off). */
  setPlan(plan: (r: ProxiedRequest) => Fault): void;
  readonly stats: {
    requests: number;
    faults: Record<string, number>;
    active: number;
    maxActive: number;
    log: { url: string; fault: string }[];
  };
}

const PASS: Fault = { kind: 'pass' };

/** Start a proxy forwarding to `target` (http://127.0.0.1:PORT); closed at teardown. */
export async function startFaultProxy(
  t: TeardownHost,
  target: string,
  plan: (r: ProxiedRequest) => Fault = () => PASS,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let current = plan;
  const stats: FaultProxy['stats'] = { requests: 0, faults: {}, active: 0, maxActive: 0, log: [] };
  const server = http.createServer((req, res) => {
    const n = ++stats.requests;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    res.on('close', () => {
      stats.active--;
    });
    const fault = current({ n, method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
    stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
    stats.log.push({ url: `${req.method} ${req.url}`, fault: fault.kind });
    void apply(fault, req, res, upstream, agent);
  });
  server.keepAliveTimeout = 5000;
  const { port, url, close } = await listenLoopback(server);
  t.teardown(() => {
    const closed = close();
    agent.destroy();
    return closed;
  });
  return {
    url,
    port,
    setPlan: (p) => {
      current = p;
    },
    stats,
  };
}

async function apply(
  fault: Fault,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  upstream: URL,
  agent: http.Agent,
): Promise<void> {
  const body = await readAll(req);
  switch (fault.kind) {
    case 'slowdown':
      return xmlError(res, 503, 'SlowDown', 'Please reduce your request rate.');
    case 'status':
      return xmlError(res, fault.status, fault.code ?? 'InternalError', 'Injected failure.');
    case 'reset':
      req.socket.destroy();
      return;
    case 'delay':
      // unref: a long delay (a request held on purpose) must not keep the test process alive after teardown.
      await new Promise((r) => setTimeout(r, fault.ms).unref());
      break;
    default:
      break;
  }
  const up = await forward(req, body, upstream, agent).catch(() => null);
  if (!up) {
    req.socket.destroy();
    return;
  }
  res.writeHead(up.status, up.headers);
  if (fault.kind === 'truncate' && req.method !== 'HEAD' && up.body.length > 1) {
    // Headers promise the full length; half the bytes arrive, then the connection drops.
    res.write(up.body.subarray(0, Math.floor(up.body.length * (fault.fraction ?? 0.5))), () => req.socket.destroy());
    return;
  }
  res.end(up.body);
}

function forward(
  req: http.IncomingMessage,
  body: Buffer,
  upstream: URL,
  agent: http.Agent,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const out = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
      (r) => {
        readAll(r).then((b) => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: b }), reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

function xmlError(res: http.ServerResponse, status: number, code: string, message: string): void {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>tf-fault</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}
