// Fails when a source line in lib/, workers/, test/ or bench/ is longer than 120 bytes of UTF-8 (Prettier leaves long
// strings and comments alone, so this catches what the formatter cannot wrap; byte-counting checks see an arrow as 3).
import { execFileSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';

const MAX = 120;
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', 'lib', 'workers', 'test', 'bench'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => /\.(ts|mts|cts|js|mjs|cjs)$/.test(f) && !f.startsWith('test/fixtures/'));
let wide = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed but deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes <= MAX) return;
    wide++;
    console.log(`${file}:${i + 1}: ${bytes} bytes, ${[...line].length} characters (max ${MAX} bytes)`);
  });
}
if (wide) {
  console.log(`${wide} line(s) longer than ${MAX} bytes`);
  process.exit(1);
}
