// Each config stage alone: parse positions, normalisation, dependency sort, variable filling, resolution, freeze.
import t from 'tap';
import { ConfigFileError, ConfigParseError } from '../../lib/errors.js';
import { sortByDependencies } from '../../lib/config/dependency-sort.js';
import { deepFreeze } from '../../lib/config/freeze.js';
import { IssueLog } from '../../lib/config/issues.js';
import { editDistance, suggestKey } from '../../lib/config/known-keys.js';
import { normaliseEntry } from '../../lib/config/normalise.js';
import {
  lineColumn,
  parseConfigText,
  readConfigText,
  splitEntries,
  type RawEntry,
} from '../../lib/config/read-source.js';
import { convertResolution, pixelAreaToMegapixels } from '../../lib/config/resolution.js';
import { defaultTrainingArgs } from '../../lib/config/training-args.js';
import { fillEntryVariables, fillString } from '../../lib/config/variables.js';

const entry = (raw: Record<string, unknown>, index = 0): RawEntry => ({
  index,
  id: typeof raw.id === 'string' ? raw.id : null,
  raw,
});

t.test('JSON syntax errors carry line and column', async (t) => {
  const cases: [string, number, number][] = [
    ['[\n  {"id": "a",}\n]', 2, 14],
    ['[{"id": "a"}', 1, 13],
    ['[\n  {"id": "x"\n  "b": 2}\n]', 3, 3],
    ['', 1, 1],
  ];
  for (const [text, line, column] of cases) {
    const err = t.throws(() => parseConfigText(text, 'cfg.json')) as ConfigParseError;
    t.ok(err instanceof ConfigParseError, 'coded');
    t.equal(err.code, 'TF_CONFIG_PARSE');
    t.same([err.line, err.column], [line, column], JSON.stringify(text));
    t.match(err.message, `cfg.json:${line}:${column}`);
  }
  t.same(parseConfigText('\ufeff[1]', null), [1], 'BOM skipped');
  t.same(lineColumn('ab\ncd', 4), { line: 2, column: 2 });
});

t.test('missing file is a ConfigFileError', async (t) => {
  await t.rejects(readConfigText('/nonexistent/x.json'), ConfigFileError);
  await t.rejects(readConfigText('/tmp'), { message: /is a directory/ });
});

t.test('splitEntries', async (t) => {
  const log = new IssueLog();
  t.same([...splitEntries({ file: 'f', value: {} }, log)], []);
  t.same([...splitEntries({ file: 'f', value: [] }, log)], []);
  const out = [...splitEntries({ file: 'f', value: [{ id: 'a' }, 3, { x: 1 }] }, log)];
  t.same(
    out.map((e) => [e.index, e.id]),
    [
      [0, 'a'],
      [2, null],
    ],
  );
  t.same(
    log.errors.map((e) => e.message),
    [
      'f must contain a JSON array of dataset objects, got object.',
      'Must provide at least one data backend in the data backend config file.',
      'Dataset entry #2 must be a JSON object, got number.',
    ],
  );
});

t.test('normalisation: aliases, removed, deprecated, booleans, unknown keys, dataset_type', async (t) => {
  const log = new IssueLog();
  const e = normaliseEntry(
    entry({
      id: 'a',
      instance_data_root: '/x',
      disable: 'no',
      text_embed_cache: 't',
      metadata_backend: 'json',
      ignore_epochs: 1,
      disable_vae_cache: true,
      crop: 'FALSE',
      video: { is_i2v: 'on' },
      repeets: 2,
      dataset_type: 'VIDEO',
    }),
    defaultTrainingArgs(),
    log,
  );
  t.match(e.raw, {
    instance_data_dir: '/x',
    disabled: false,
    text_embeds: 't',
    metadata_backend: 'discovery',
    crop: false,
    video: { is_i2v: true },
    dataset_type: 'video',
  });
  t.notOk('ignore_epochs' in e.raw);
  t.notOk('instance_data_root' in e.raw);
  t.same(
    log.errors.map((i) => i.field),
    ['disable_vae_cache'],
  );
  t.ok(log.warnings.some((w) => w.message === 'Unknown key `repeets` is ignored; did you mean `repeats`?'));
  t.ok(log.warnings.some((w) => w.field === 'video.is_i2v'));
});

t.test('normalisation limits: deep nesting and huge strings are dropped with an error', async (t) => {
  const log = new IssueLog();
  let deep: unknown = 1;
  for (let i = 0; i < 5000; i++) deep = [deep];
  const e = normaliseEntry(
    entry({ id: 'a', conditioning: deep, instance_prompt: 'x'.repeat(2 << 20) }),
    defaultTrainingArgs(),
    log,
  );
  t.notOk('conditioning' in e.raw);
  t.notOk('instance_prompt' in e.raw);
  t.same(log.errors.map((i) => i.field).sort(), ['conditioning', 'instance_prompt']);
});

t.test('pixel_area conversion is px²/1e6, sizes only when > 0', async (t) => {
  t.equal(pixelAreaToMegapixels(1024), 1.048576);
  const raw: Record<string, unknown> = {
    dataset_type: 'image',
    resolution_type: 'pixel_area',
    resolution: 2048,
    maximum_image_size: -1,
    target_downsample_size: 1000,
  };
  convertResolution(raw, defaultTrainingArgs());
  t.same(raw, {
    dataset_type: 'image',
    resolution_type: 'area',
    resolution: 4.194304,
    maximum_image_size: -1,
    target_downsample_size: 1,
  });
  const embeds: Record<string, unknown> = { dataset_type: 'text_embeds' };
  convertResolution(embeds, defaultTrainingArgs());
  t.same(embeds, { dataset_type: 'text_embeds' }, 'embeds untouched');
  const inherit: Record<string, unknown> = { dataset_type: 'image' };
  convertResolution(inherit, { ...defaultTrainingArgs(), resolution: 512, minimum_image_size: 256 });
  t.same(inherit, {
    dataset_type: 'image',
    resolution_type: 'area',
    resolution: 0.262144,
    minimum_image_size: 0.065536,
  });
});

t.test('dependency sort: the verified SimpleTuner fixture order', async (t) => {
  const names = [
    'text_embeds_primary',
    'text_embeds_secondary',
    'conditioning_dataset',
    'main_dataset',
    'secondary_dataset',
  ];
  const entries = names.map((id, i) =>
    entry({ id, ...(id === 'main_dataset' ? { conditioning_data: 'conditioning_dataset' } : {}) }, i),
  );
  const log = new IssueLog();
  t.same(
    sortByDependencies(entries, log).map((e) => e.id),
    ['text_embeds_primary', 'text_embeds_secondary', 'main_dataset', 'conditioning_dataset', 'secondary_dataset'],
  );
  t.same(log.errors, []);
});

t.test('dependency sort: source_dataset_id, disabled, no id, cycles', async (t) => {
  const log = new IssueLog();
  const entries = [
    entry({ id: 'b', source_dataset_id: 'a' }, 0),
    entry({ x: 1 }, 1),
    entry({ id: 'off', disabled: true }, 2),
    entry({ id: 'a' }, 3),
  ];
  t.same(
    sortByDependencies(entries, log).map((e) => e.id ?? `#${e.index}`),
    ['a', 'b', '#1'],
  );
  const cyc = [entry({ id: 'a', source_dataset_id: 'b' }), entry({ id: 'b', source_dataset_id: 'a' })];
  const out = sortByDependencies(cyc, log);
  t.equal(out.length, 2, 'entries kept');
  t.same(log.errors, [
    { id: 'a', field: 'source_dataset_id', message: "Circular dependency detected involving dataset 'a'" },
  ]);
  const self = new IssueLog();
  sortByDependencies([entry({ id: 's', source_dataset_id: 's' })], self);
  t.match(self.errors[0]?.message, /involving dataset 's'/);
});

t.test('variables: the verified example, nesting, env, unknown tokens', async (t) => {
  const ctx = { model_family: 'flux', output_dir: '/out', id: 'ds1', env: { HOME_X: '/h' } };
  t.equal(fillString('{output_dir}/cache/{model_family}/{id}/{unknown}', ctx), '/out/cache/flux/ds1/{unknown}');
  t.equal(fillString('{env:HOME_X}/a/{env:MISSING}', ctx), '/h/a/');
  const log = new IssueLog();
  const e = fillEntryVariables(
    entry({ id: 'ds1', '{id}': '{id}', nested: { list: ['{model_family}', 3, { deep: '{env:MISSING}' }] } }),
    { model_family: 'flux', output_dir: '/out', env: {} },
    log,
  );
  t.same(
    e.raw,
    { id: 'ds1', '{id}': 'ds1', nested: { list: ['flux', 3, { deep: '' }] } },
    'keys untouched, values filled',
  );
  t.match(log.warnings[0]?.message, 'Environment variable MISSING is not set');
});

t.test('key suggestions use edit distance', async (t) => {
  t.equal(editDistance('kitten', 'sitting'), 3);
  t.equal(suggestKey('resolutoin'), 'resolution');
  t.equal(suggestKey('CROP_STYLE'), 'crop_style');
  t.equal(suggestKey('q'), null);
  t.equal(suggestKey('x'.repeat(100)), null, 'long keys are not compared');
});

t.test('deepFreeze', async (t) => {
  const o = deepFreeze({ a: { b: [1, { c: 2 }] } });
  t.ok(Object.isFrozen(o.a.b[1]));
  t.throws(() => {
    (o.a as { b: unknown }).b = 3;
  });
});

t.test('syntax errors without a V8 position are located by our own scan', async (t) => {
  const cases: [string, number, number][] = [
    ['[\n  {"id": "x",\n   "crop": tru}\n]\n', 3, 12],
    ['[{"a": "b\u0001"}]', 1, 10],
    ['[{"a": "\\q"}]', 1, 10],
    ['[1 2]', 1, 4],
    ['{"a" 1}', 1, 6],
    ['[1] x', 1, 5],
    ['[' + '['.repeat(20000) + 'x', 1, 20002],
  ];
  for (const [text, line, column] of cases) {
    const err = t.throws(() => parseConfigText(text, null)) as ConfigParseError;
    t.same([err.line, err.column], [line, column], JSON.stringify(text.slice(0, 40)));
    t.notMatch(err.message, /is not valid JSON/, 'V8 snippet removed');
  }
});
