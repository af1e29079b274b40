// The README's error-code table lists every exported error class with its code.
import t from 'tap';
import { readFile } from 'node:fs/promises';
import * as errors from '../lib/errors.js';

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
const classes = Object.entries(errors).filter(
  ([, v]) => typeof v === 'function' && (v === errors.TunefeedError || v.prototype instanceof errors.TunefeedError),
) as [string, typeof errors.TunefeedError][];

t.ok(classes.length > 20, 'found the error classes');
for (const [name, C] of classes) {
  // Every constructor takes (message or issues, ...) and tolerates the extra positional arguments.
  const e = Reflect.construct(
    C,
    (C as unknown) === errors.ConfigValidationError ? [[]] : ['x', 'reason', 0],
  ) as errors.TunefeedError;
  t.match(readme, new RegExp(`\\| \`${e.code}\` \\| \`${name}\` \\|`), `${name} (${e.code}) is in the README table`);
}
