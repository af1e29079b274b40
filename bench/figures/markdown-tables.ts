// Reads the tables of a generated Markdown file (bench/RESULTS.md) so docs can quote its cells.

/** One table: its header cells and its rows as column → cell text (exactly as written in the file). */
export interface MdTable {
  section: string;
  columns: string[];
  rows: Record<string, string>[];
}

/** Split a table line on unescaped pipes; `\|` inside a cell stays part of it (RESULTS.md escapes pipes that way). */
export function splitRow(line: string): string[] {
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  const cells: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && body[i + 1] === '|') {
      cur += '|';
      i++;
    } else if (body[i] === '|') {
      cells.push(cur.trim());
      cur = '';
    } else cur += body[i];
  }
  cells.push(cur.trim());
  return cells;
}

const isRule = (cells: string[]): boolean => cells.every((c) => /^:?-{3,}:?$/.test(c));

/** Every table in `text`, each tagged with the `## heading` above it (the first table of a section comes first). */
export function parseTables(text: string): MdTable[] {
  const tables: MdTable[] = [];
  let section = '';
  let current: MdTable | null = null;
  for (const line of text.split('\n')) {
    const heading = /^##\s+(.+?)\s*$/.exec(line);
    if (heading) section = heading[1];
    if (!line.trimStart().startsWith('|')) {
      current = null;
      continue;
    }
    const cells = splitRow(line);
    if (!current) {
      current = { section, columns: cells, rows: [] };
      tables.push(current);
    } else if (!isRule(cells)) {
      const cols = current.columns;
      current.rows.push(Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? ''])));
    }
  }
  return tables;
}

/** A row filter: `column="text"` (exact) or `column~="text"` (the cell contains the text). */
export interface RowFilter {
  column: string;
  value: string;
  contains: boolean;
}

/** Rows of `table` that pass every filter. */
export function selectRows(table: MdTable, filters: readonly RowFilter[]): Record<string, string>[] {
  return table.rows.filter((row) =>
    filters.every((f) => {
      const cell = row[f.column];
      if (cell === undefined) return false;
      return f.contains ? cell.includes(f.value) : cell === f.value;
    }),
  );
}
