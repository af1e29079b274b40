// The page's files: our HTML/JS/CSS next to this module's sources, uPlot from node_modules (no CDN, works offline).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DashboardError } from '../errors.js';

/** One servable file. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** lib/dashboard/page from sources; from dist/lib/dashboard the same source folder (tsc copies no HTML). */
function pageDir(): string {
  const candidates = ['./page/', '../../../lib/dashboard/page/'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  const found = candidates.find((d) => existsSync(`${d}index.html`));
  if (!found) throw new DashboardError(`The dashboard page is missing: no index.html in ${candidates.join(' or ')}`);
  return found;
}

/** URL path → file on disk; nothing else is served. */
function routes(): Record<string, string> {
  const dir = pageDir();
  const require = createRequire(import.meta.url);
  return {
    '/': `${dir}index.html`,
    '/app.js': `${dir}app.js`,
    '/style.css': `${dir}style.css`,
    '/uplot.js': require.resolve('uplot/dist/uPlot.iife.min.js'),
    '/uplot.css': require.resolve('uplot/dist/uPlot.min.css'),
  };
}

/** Read every file once (a few hundred KB), so serving is a lookup. */
export async function loadStaticFiles(): Promise<Map<string, StaticFile>> {
  const out = new Map<string, StaticFile>();
  for (const [route, file] of Object.entries(routes())) {
    const ext = file.slice(file.lastIndexOf('.') + 1);
    out.set(route, { body: await readFile(file), type: TYPES[ext] ?? 'application/octet-stream' });
  }
  return out;
}
