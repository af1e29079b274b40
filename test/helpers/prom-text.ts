// A strict parser of the Prometheus text exposition format (0.0.4): throws on anything a scraper would reject.

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its TYPE, HELP and samples. */
export interface PromFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
  counter: [''],
  gauge: [''],
  untyped: [''],
};

/** Prometheus reads values with Go's ParseFloat: NaN and ±Inf(inity) in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: number): number {
  const special = /^([-+]?)(inf|infinity)$/i.exec(text);
  if (special) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${text}`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let rest = text;
  while (rest.length) {
    const m = /^([^=]+)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (!m || !LABEL.test(m[1])) throw new Error(`line ${line}: bad labels {${text}}`);
    if (m[1] in out) throw new Error(`line ${line}: duplicate label ${m[1]}`);
    out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
  }
  return out;
}

function parseSample(text: string, line: number): PromSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(text);
  if (!m) throw new Error(`line ${line}: bad sample "${text}"`);
  return { name: m[1], labels: m[2] ? parseLabels(m[2], line) : {}, value: parseValue(m[3], line) };
}

function familyOf(families: Map<string, PromFamily>, s: PromSample, line: number): PromFamily {
  for (const f of families.values()) if (SUFFIXES[f.type].some((suffix) => f.name + suffix === s.name)) return f;
  throw new Error(`line ${line}: sample ${s.name} has no TYPE line before it`);
}

/** Parse a whole body; families keep their order. Checks histograms' buckets are cumulative with a +Inf bucket. */
export function parsePromText(body: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const helps = new Map<string, string>();
  const seen = new Set<string>();
  body.split('\n').forEach((text, i) => {
    const line = i + 1;
    if (text === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(text);
    if (meta) {
      if (!NAME.test(meta[2])) throw new Error(`line ${line}: bad metric name ${meta[2]}`);
      if (meta[1] === 'HELP') helps.set(meta[2], meta[3]);
      else {
        if (!TYPES.has(meta[3])) throw new Error(`line ${line}: bad type ${meta[3]}`);
        if (families.has(meta[2])) throw new Error(`line ${line}: second TYPE for ${meta[2]}`);
        const type = meta[3] as PromFamily['type'];
        families.set(meta[2], { name: meta[2], type, help: helps.get(meta[2]) ?? '', samples: [] });
      }
      return;
    }
    if (text.startsWith('#')) return;
    const s = parseSample(text, line);
    const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    familyOf(families, s, line).samples.push(s);
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: PromFamily): void {
  const groups = new Map<string, PromSample[]>();
  for (const s of f.samples) {
    if (s.name !== `${f.name}_bucket`) continue;
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${f.name}: bucket without le`);
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, buckets] of groups) {
    const les = buckets.map((b) => parseValue(b.labels.le, 0));
    if (les.at(-1) !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(les[i] > les[i - 1])) throw new Error(`${f.name}${key}: le not increasing`);
      if (buckets[i].value < buckets[i - 1].value) throw new Error(`${f.name}${key}: buckets not cumulative`);
    }
    const count = f.samples.find(
      (s) => s.name === `${f.name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
    );
    if (!count || count.value !== buckets.at(-1)!.value) throw new Error(`${f.name}${key}: _count ≠ +Inf bucket`);
  }
}

/** Every counter sample (and histogram bucket/sum/count) of `after` is ≥ the same series in `before`. */
export function nonMonotonic(before: Map<string, PromFamily>, after: Map<string, PromFamily>): string[] {
  const bad: string[] = [];
  for (const f of before.values()) {
    if (f.type !== 'counter' && f.type !== 'histogram') continue;
    const later = after.get(f.name);
    for (const s of f.samples) {
      const key = JSON.stringify(s.labels);
      const t = later?.samples.find((x) => x.name === s.name && JSON.stringify(x.labels) === key);
      if (!t || t.value < s.value) bad.push(`${s.name}${key}: ${s.value} → ${t?.value ?? 'missing'}`);
    }
  }
  return bad;
}
