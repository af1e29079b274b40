// Fuzz: seeded random mutations of real configs must end in a result or a coded config error, never another exception.
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { isTunefeedError } from '../../lib/errors.js';
import { KNOWN_KEYS } from '../../lib/config/known-keys.js';
import { loadConfig, validateConfig, type ValidationResult } from '../../lib/config/load-config.js';

const SEED = Number(process.env.TF_FUZZ_SEED ?? 20261126);
const CASES = Number(process.env.TF_FUZZ_CASES ?? 1000);
const TEXT_CASES = 200;

/** mulberry32: tiny, fast, reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const HUGE = 'x'.repeat(10 * 1024 * 1024);
const keys = [
  ...KNOWN_KEYS,
  '..',
  '../../etc/passwd',
  '/abs/key',
  '__proto__',
  'constructor',
  'prototype',
  '',
  'ключ',
  '🔥',
  'a\u0000b',
];
const words = [
  'local',
  'aws',
  'csv',
  'huggingface',
  'memory',
  'image',
  'video',
  'eval',
  'conditioning',
  'text_embeds',
  'image_embeds',
  'audio',
  'pixel_area',
  'area',
  'pixel',
  'random',
  'closest',
  'square',
  'parquet',
  'discovery',
  'json',
  'instanceprompt',
  'False',
  'true',
];

function nest(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

function value(r: () => number, entries: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  switch (Math.floor(r() * 16)) {
    case 0:
      return pick([null, true, false, 0, -1, -0, 1.5, 3]);
    case 1:
      return pick([1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, NaN, Infinity, -Infinity, 5e-324]);
    case 2:
      return pick([
        '',
        '..',
        '../../etc/passwd',
        '/abs/path',
        'C:\\win',
        '\u0000',
        '\ud800',
        'héllo wörld 🔥',
        'ش',
        '{env:HOME}',
        '{id}/{x}',
      ]);
    case 3:
      return r() < 0.06 ? HUGE : 'x'.repeat(Math.floor(r() * 5000));
    case 4:
      return [];
    case 5:
      return [pick([1, 1.5, 'a', null, { aspect: 1, weight: 1 }, { aspect_bucket: 'x' }]), pick([2, { weight: 0.5 }])];
    case 6:
      return {};
    case 7:
      return {
        num_frames: pick([1, 'x', -3]),
        path: pick(['/p', 3]),
        enable: pick(['yes', 2]),
        type: pick(['canny', 1]),
      };
    case 8:
      return nest(Math.floor(r() * 60));
    case 9:
      return r() < 0.1 ? nest(3000) : nest(5);
    case 10:
      return `e${Math.floor(r() * entries)}`;
    default:
      return pick(words);
  }
}

function mutateEntry(e: Record<string, unknown>, r: () => number, entries: number): void {
  const k = keys[Math.floor(r() * keys.length)];
  const op = r();
  if (op < 0.2) delete e[Object.keys(e)[Math.floor(r() * Object.keys(e).length)] ?? ''];
  else if (op < 0.35 && e.video && typeof e.video === 'object')
    (e.video as Record<string, unknown>)[k] = value(r, entries);
  else Object.defineProperty(e, k, { value: value(r, entries), enumerable: true, writable: true, configurable: true });
}

function mutateDoc(base: unknown[], r: () => number): unknown {
  const doc: unknown[] = structuredClone(base);
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const op = r();
    if (op < 0.05) return value(r, doc.length);
    if (op < 0.12) doc.splice(Math.floor(r() * doc.length), 1);
    else if (op < 0.18) doc.push(structuredClone(doc[Math.floor(r() * doc.length)] ?? {}));
    else if (op < 0.22) doc.push(value(r, doc.length));
    else {
      const target = doc[Math.floor(r() * doc.length)];
      if (target && typeof target === 'object' && !Array.isArray(target))
        mutateEntry(target as Record<string, unknown>, r, doc.length);
    }
  }
  return doc;
}

function checkShape(t: Test, res: ValidationResult, label: string): boolean {
  const issuesOk = [...res.errors, ...res.warnings].every(
    (i) =>
      (i.id === null || typeof i.id === 'string') &&
      typeof i.field === 'string' &&
      typeof i.message === 'string' &&
      i.message.length > 0,
  );
  const okOk = res.ok
    ? res.errors.length === 0 && !!res.loaded && Object.isFrozen(res.loaded)
    : res.errors.length > 0 && res.datasets.length === 0;
  if (issuesOk && okOk) return true;
  t.fail(`${label}: malformed result ${JSON.stringify(res).slice(0, 500)}`);
  return false;
}

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'configs');
const bases = await Promise.all(
  (await readdir(fixtures))
    .filter((f) => f.endsWith('.json'))
    .map(async (f) => JSON.parse(await readFile(join(fixtures, f), 'utf8')) as unknown[]),
);

t.test(`${CASES} mutated in-memory configs (seed ${SEED})`, async (t) => {
  const r = rng(SEED);
  let valid = 0;
  let thrown = 0;
  for (let i = 0; i < CASES; i++) {
    const doc = mutateDoc(bases[i % bases.length], r);
    const label = `case ${i} (seed ${SEED})`;
    try {
      const res = await validateConfig(doc as unknown[], { checkPaths: false, env: {} });
      if (!checkShape(t, res, label)) break;
      if (res.ok) valid++;
      if (i % 10 === 0)
        await loadConfig(doc as unknown[], { checkPaths: false, env: {} }).catch((e: unknown) => {
          if (!isTunefeedError(e) || !e.code.startsWith('TF_CONFIG')) throw e;
          thrown++;
        });
    } catch (err) {
      t.fail(`${label}: uncoded exception ${(err as Error).stack}`);
      break;
    }
  }
  t.ok(valid > 0 && valid < CASES, `both outcomes occur (valid ${valid}, loadConfig rejections ${thrown})`);
});

t.test(`${TEXT_CASES} mutated JSON texts through the file reader`, async (t) => {
  const r = rng(SEED + 1);
  const dir = await mkdtemp(join(tmpdir(), 'tf-fuzz-'));
  const file = join(dir, 'cfg.json');
  const texts = bases.map((b) => JSON.stringify(b, null, 2));
  const junk = ['', '{', '}', '[', ']', ',', '"', ':', 'null', '\\', '\u00e9', '\ud83d', '1e999', '-', 'NaN'];
  let parseErrors = 0;
  for (let i = 0; i < TEXT_CASES; i++) {
    let s = texts[i % texts.length];
    for (let m = 0; m < 1 + Math.floor(r() * 3); m++) {
      const at = Math.floor(r() * s.length);
      s = s.slice(0, at) + junk[Math.floor(r() * junk.length)] + s.slice(at + Math.floor(r() * 3));
    }
    await writeFile(file, s);
    try {
      const res = await validateConfig(file, { checkPaths: false, env: {} });
      if (!checkShape(t, res, `text case ${i}`)) break;
      if (res.errors.some((e) => e.message.startsWith('Invalid JSON in'))) parseErrors++;
    } catch (err) {
      t.fail(`text case ${i}: uncoded exception ${(err as Error).stack}`);
      break;
    }
  }
  t.ok(parseErrors > 0, `syntax errors reported with positions (${parseErrors})`);
});
