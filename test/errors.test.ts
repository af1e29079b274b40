// Every exported error class has a stable code, its own name, instanceof the base, and keeps its cause.
import t from 'tap';
import * as errors from '../lib/errors.js';
import { registerSecret } from '../lib/redact.js';

const classes = Object.entries(errors).filter(
  ([, v]) => typeof v === 'function' && (v === errors.TunefeedError || v.prototype instanceof errors.TunefeedError),
) as [string, new (...a: unknown[]) => errors.TunefeedError][];

function make(C: new (...a: unknown[]) => errors.TunefeedError, cause: Error): errors.TunefeedError {
  if (C === errors.ConfigValidationError) return new C([{ id: 'ds', field: 'crop', message: 'bad' }], { cause });
  if (C === errors.ConfigParseError) return new C('bad json', 3, 4, { cause });
  if (C === errors.DownloadError) return new C('bad url', 'http_status', 404, { cause });
  if (C === errors.ImageProbeError || C === errors.ImageDecodeError) return new C('bad image', 'corrupt', { cause });
  return new C('boom', { dataset: 'ds', file: 'a.png', field: 'crop', cause });
}

t.ok(classes.length >= 20, 'all classes found');
const codes = new Set<string>();
for (const [name, C] of classes) {
  t.test(name, async (t) => {
    const cause = new Error('root');
    const e = make(C, cause);
    t.ok(e instanceof errors.TunefeedError);
    t.ok(e instanceof C);
    t.equal(e.name, name);
    t.match(e.code, /^TF_[A-Z_]+$/);
    t.notOk(codes.has(e.code), `code ${e.code} unique`);
    codes.add(e.code);
    t.equal(e.cause, cause);
    t.ok(errors.isTunefeedError(e));
    t.notOk('stack' in e.toJSON());
  });
}

t.test('context is named in the message', async (t) => {
  const e = new errors.StorageError('read failed', { dataset: 'photos', file: 'x/y.jpg', row: 7, field: 'url' });
  t.equal(e.message, 'read failed (dataset=photos, file=x/y.jpg, row=7, field=url)');
  t.equal(e.dataset, 'photos');
});

t.test('registered secrets are scrubbed from messages', async (t) => {
  registerSecret('SUPERSECRETVALUE');
  const e = new errors.StorageError('auth failed with SUPERSECRETVALUE');
  t.notMatch(e.message, /SUPERSECRETVALUE/);
});

t.test('validation error lists every issue', async (t) => {
  const e = new errors.ConfigValidationError([
    { id: 'a', field: 'crop', message: 'must be boolean' },
    { id: null, field: '', message: 'empty' },
  ]);
  t.equal(e.message, '(id=a) crop: must be boolean\nempty');
  t.equal(e.issues.length, 2);
});
