// A scripted HTTP server on 127.0.0.1: static files with Range support plus per-path scripted responses.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import { listenLoopback } from './loopback.js';
import path from 'node:path';
import type { TeardownHost } from './s3-server.js';

/** One scripted response. */
export interface Script {
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Wait before sending headers. */
  delayMs?: number;
  /** Send the body in chunks of this many bytes, `intervalMs` apart (slow-loris body). */
  trickle?: { chunkBytes: number; intervalMs: number };
  /** 302 to this location. */
  redirect?: string;
  /** Never answer. */
  hang?: boolean;
}

/** A handler: a fixed script, a sequence (call i gets element i, the last repeats), or a function. */
export type Route = Script | Script[] | ((req: http.IncomingMessage, res: http.ServerResponse, call: number) => void);

export interface HttpServer {
  url: string;
  port: number;
  /** Add or replace a route (path without query). */
  route(pathname: string, route: Route): void;
  readonly requests: { method: string; path: string; range?: string }[];
  /** How many times a path was requested. */
  count(pathname: string): number;
}

/** Start a server; `root` is served statically for paths without a route. Closed at teardown. */
export async function startHttpServer(
  t: TeardownHost,
  opts: { root?: string; routes?: Record<string, Route> } = {},
): Promise<HttpServer> {
  const routes = new Map<string, Route>(Object.entries(opts.routes ?? {}));
  const requests: HttpServer['requests'] = [];
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      ...(req.headers.range ? { range: req.headers.range } : {}),
    });
    const call = calls.get(pathname) ?? 0;
    calls.set(pathname, call + 1);
    const route = routes.get(pathname);
    if (typeof route === 'function') return route(req, res, call);
    if (route) return void play(Array.isArray(route) ? route[Math.min(call, route.length - 1)] : route, res);
    if (opts.root) return void serveFile(opts.root, pathname, req, res);
    res.writeHead(404).end('not found');
  });
  const { port, url, close } = await listenLoopback(server);
  t.teardown(close);
  return {
    url,
    port,
    requests,
    route: (p, r) => routes.set(p, r),
    count: (p) => calls.get(p) ?? 0,
  };
}

async function play(s: Script, res: http.ServerResponse): Promise<void> {
  if (s.hang) return;
  if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
  if (res.destroyed) return;
  if (s.redirect) return void res.writeHead(302, { location: s.redirect }).end();
  const body = typeof s.body === 'string' ? Buffer.from(s.body) : (s.body ?? Buffer.alloc(0));
  res.writeHead(s.status ?? 200, { 'content-length': String(body.length), ...s.headers });
  if (!s.trickle) return void res.end(body);
  for (let i = 0; i < body.length && !res.destroyed; i += s.trickle.chunkBytes) {
    res.write(body.subarray(i, i + s.trickle.chunkBytes));
    await new Promise((r) => setTimeout(r, s.trickle!.intervalMs));
  }
  res.end();
}

async function serveFile(
  root: string,
  pathname: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const file = path.join(root, path.normalize(pathname).replace(/^(\.\.[/\\])+/, ''));
  const st = await stat(file).catch(() => null);
  if (!st?.isFile() || !file.startsWith(path.resolve(root))) return void res.writeHead(404).end('not found');
  const type = file.endsWith('.json')
    ? 'application/json'
    : file.endsWith('.png')
      ? 'image/png'
      : file.endsWith('.jpg')
        ? 'image/jpeg'
        : 'application/octet-stream';
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
  if (!m) {
    res.writeHead(200, { 'content-length': String(st.size), 'content-type': type, 'accept-ranges': 'bytes' });
    return void (req.method === 'HEAD' ? res.end() : createReadStream(file).pipe(res));
  }
  let start = m[1] ? Number(m[1]) : Math.max(0, st.size - Number(m[2]));
  let end = m[1] && m[2] ? Math.min(Number(m[2]), st.size - 1) : st.size - 1;
  if (start >= st.size) return void res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end();
  if (end < start) {
    start = 0;
    end = st.size - 1;
  }
  res.writeHead(206, {
    'content-length': String(end - start + 1),
    'content-range': `bytes ${start}-${end}/${st.size}`,
    'content-type': type,
    'accept-ranges': 'bytes',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file, { start, end }).pipe(res);
}
