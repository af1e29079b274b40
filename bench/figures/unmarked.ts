// Finds measured-looking figures (rates, ratios, CPU per file, decimal percentages) typed into docs outside markers.

/**
 * What a measurement looks like in prose: a rate per second, a speed-up ratio written `4×`/`0.9×` (not a size like
 * `96×72` or `2 × 16`), a decimal percentage, a CPU time in µs or ms with decimals, a peak RSS in MB. Inputs and
 * settings (`25 ms per step`, `a 24 kB tmpfs`, `1000 mutated configs`) do not match these shapes.
 */
const MEASURED: readonly RegExp[] = [
  /\b\d[\d ,.]*\s?(?:files|img|images|samples|batches|requests|GETs|MB|GB|kB)\/s\b/,
  /(?<![\d.×x] ?)\b\d+(?:\.\d+)?×(?! ?\d)/,
  /\b\d+\.\d+ ?%/,
  /\b\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)? ?(?:µs|us) (?:of )?(?:CPU|per)/,
  /\b\d+\.\d+(?:–\d+(?:\.\d+)?)? ?ms (?:of (?:process )?CPU|per image|wall)/,
  /\b\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)? ?(?:ms|µs|us) of (?:\w+ )?CPU/,
  /\bpeak RSS\b[^.|]*\b\d+(?:–\d+)? ?MB\b/i,
  /\bratios? (?:of )?\d\.\d+/,
  /\b\d+ (?:assertions|passed|failed|todo)\b/,
  /\b\d+ requests, \d+ failed\b/,
  /\b(?:in about|in under|took under|took about|finished in|after) \d+(?:\.\d+)? ?(?:ms|s)\b/,
];

/** A table whose header names a rate, ratio, wait or time column holds measurements in its decimal cells. */
const MEASURED_HEADER = /\/s\b|ratio|÷|\bwait|\bms\b|\bCPU\b/i;

/** One hand-typed figure: where it is and the text that looks measured. */
export interface Unmarked {
  line: number;
  text: string;
}

/** Remove markers (their content is quoted from a source), inline code and HTML comments from one line. */
function strip(line: string): string {
  return line
    .replace(/<!-- fig [^>]*-->[^]*?<!-- \/fig -->/g, '')
    .replace(/<!--[^]*?-->/g, '')
    .replace(/`[^`]*`/g, '');
}

/** Every line of `text` that carries a measured-looking figure outside a marker, a fenced code block or a fig-table. */
export function unmarkedFigures(text: string): Unmarked[] {
  const out: Unmarked[] = [];
  let fenced = false;
  let inTable = false;
  let header: string | null = null; // header row of the Markdown table the line is in
  text.split('\n').forEach((raw, i) => {
    if (/^\s*```/.test(raw)) fenced = !fenced;
    if (raw.includes('<!-- fig-table ')) inTable = true;
    if (raw.includes('<!-- /fig-table -->')) inTable = false;
    header = raw.trimStart().startsWith('|') ? (header ?? raw) : null;
    if (fenced || inTable) return;
    const line = strip(raw);
    const hit = MEASURED.map((re) => re.exec(line)).find((m) => m);
    // In a measured table every number after the first cell (which names the case) is a measurement.
    const rest = line.split('|').slice(2).join('|');
    const cell = header !== raw && header && MEASURED_HEADER.test(header) ? /\b\d+(?:\.\d+)?\b/.exec(rest) : null;
    if (hit ?? cell) out.push({ line: i + 1, text: (hit ?? cell)![0] });
  });
  return out;
}
