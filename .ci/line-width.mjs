// Fails when a source line in lib/, workers/, test/ or bench/ is wider than 120 characters (Prettier leaves long
// strings and comments alone, so this catches what the formatter cannot wrap).
import { execFileSync } from 'node:child_process';
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
    if ([...line].length <= MAX) return;
    wide++;
    console.log(`${file}:${i + 1}: ${[...line].length} characters (max ${MAX})`);
  });
}
if (wide) {
  console.log(`${wide} line(s) wider than ${MAX} characters`);
  process.exit(1);
}
