// Figure markers in Markdown docs: each quotes a cell of a generated file or a code default, and is refilled from it.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { codeDefault } from './code-defaults.js';
import { parseTables, selectRows, type MdTable, type RowFilter } from './markdown-tables.js';

/**
 * `<!-- fig bench/RESULTS.md#scan case~="s3rver" col="ratio vs_raw_loop" -->0.672<!-- /fig -->` quotes one cell;
 * `<!-- fig default:inFlight -->16<!-- /fig -->` quotes a code default;
 * `<!-- fig-table bench/RESULTS.md#decode cols="case,ratio vs_raw_sharp" -->` … `<!-- /fig-table -->` copies rows.
 */
const INLINE = /<!-- fig (\S+)((?: [\w ]+?~?="[^"]*")*) -->([^]*?)<!-- \/fig -->/g;
const TABLE = /<!-- fig-table (\S+)((?: [\w ]+?~?="[^"]*")*) -->\n([^]*?)<!-- \/fig-table -->/g;
const ATTR = / ([\w ]+?)(~?)="([^"]*)"/g;

/** A marker's parsed form. */
export interface Marker {
  source: string;
  section: string;
  attrs: Record<string, string>;
  filters: RowFilter[];
}

/** Parse the head of a marker: `path#section` (or `default:NAME`) then `name="v"` / `name~="v"` attributes. */
export function parseMarker(source: string, attrText: string): Marker {
  const [file, section = ''] = source.split('#');
  const attrs: Record<string, string> = {};
  const filters: RowFilter[] = [];
  for (const m of attrText.matchAll(ATTR)) {
    const [, name, tilde, value] = m;
    if (name === 'col' || name === 'cols') attrs[name] = value;
    else filters.push({ column: name, value, contains: tilde === '~' });
  }
  return { source: file, section, attrs, filters };
}

/** Loads generated files once per run (paths relative to the repository root). */
export class Sources {
  readonly #tables = new Map<string, MdTable[]>();
  constructor(readonly root: string) {}

  async tables(file: string): Promise<MdTable[]> {
    let t = this.#tables.get(file);
    if (!t) {
      t = parseTables(await readFile(path.join(this.root, file), 'utf8'));
      this.#tables.set(file, t);
    }
    return t;
  }

  /** The first table of `section` in `file`; throws naming both when there is none. */
  async table(file: string, section: string): Promise<MdTable> {
    const t = (await this.tables(file)).find((x) => x.section === section);
    if (!t) throw new Error(`${file} has no table under "## ${section}"`);
    return t;
  }
}

const describe = (m: Marker): string =>
  `${m.source}#${m.section} ${m.filters.map((f) => `${f.column}${f.contains ? '~' : ''}="${f.value}"`).join(' ')}`;

/** The text an inline marker must hold now. */
export async function resolveInline(m: Marker, sources: Sources): Promise<string> {
  if (m.source.startsWith('default:')) return codeDefault(sources.root, m.source.slice('default:'.length));
  const col = m.attrs.col;
  if (!col) throw new Error(`marker ${describe(m)} has no col="…"`);
  const table = await sources.table(m.source, m.section);
  if (!table.columns.includes(col)) throw new Error(`${describe(m)}: no column "${col}"`);
  const rows = selectRows(table, m.filters);
  if (rows.length !== 1) throw new Error(`${describe(m)} matches ${rows.length} rows, not exactly 1`);
  return rows[0][col];
}

/** The Markdown rows a table marker must hold now: the chosen columns of every matching row. */
export async function resolveTable(m: Marker, sources: Sources): Promise<string> {
  const table = await sources.table(m.source, m.section);
  const cols = (m.attrs.cols ?? table.columns.join(',')).split(',').map((c) => c.trim());
  const missing = cols.filter((c) => !table.columns.includes(c));
  if (missing.length) throw new Error(`${describe(m)}: no column ${missing.map((c) => `"${c}"`).join(', ')}`);
  const rows = selectRows(table, m.filters);
  if (rows.length === 0) throw new Error(`${describe(m)} matches no row`);
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${cols.map((c) => esc(r[c])).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** One marker whose text differs from its source (or whose source cannot be read). */
export interface Disagreement {
  line: number;
  marker: string;
  found: string;
  expected: string | null;
  error?: string;
}

/** Check every marker of `text`, and return the text with every marker refilled from its source. */
export async function refresh(text: string, sources: Sources): Promise<{ text: string; problems: Disagreement[] }> {
  const problems: Disagreement[] = [];
  const jobs: { re: RegExp; resolve: (m: Marker) => Promise<string>; wrap: (h: string, v: string) => string }[] = [
    { re: INLINE, resolve: (m) => resolveInline(m, sources), wrap: (h, v) => `<!-- fig ${h} -->${v}<!-- /fig -->` },
    {
      re: TABLE,
      resolve: (m) => resolveTable(m, sources),
      wrap: (h, v) => `<!-- fig-table ${h} -->\n${v}<!-- /fig-table -->`,
    },
  ];
  let out = text;
  for (const job of jobs) {
    const parts: string[] = [];
    let last = 0;
    for (const match of out.matchAll(job.re)) {
      const [whole, source, attrText, found] = match;
      const line = out.slice(0, match.index).split('\n').length;
      let value = found;
      try {
        value = await job.resolve(parseMarker(source, attrText));
        if (value !== found) problems.push({ line, marker: `${source}${attrText}`, found, expected: value });
      } catch (err) {
        problems.push({ line, marker: `${source}${attrText}`, found, expected: null, error: (err as Error).message });
      }
      parts.push(out.slice(last, match.index), job.wrap(`${source}${attrText}`, value));
      last = match.index + whole.length;
    }
    out = parts.join('') + out.slice(last);
  }
  return { text: out, problems };
}
