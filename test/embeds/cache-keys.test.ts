// Cache file names match what CPython computes with SimpleTuner's rules (vectors in expected.json).
import t from 'tap';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { textEmbedCacheKey, vaeCacheKey } from '../../lib/embeds/cache-keys.js';
import { pyDirname, pySplitext, pyStem } from '../../lib/embeds/py-path.js';

const dir = fileURLToPath(new URL('../fixtures/embeds/', import.meta.url));
const v = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as {
  vae_keys: { root: string; path: string; key: string }[];
  text_keys: { caption: string; model: string; key: string }[];
  stems: { path: string; stem: string; splitext: [string, string] }[];
};

t.test('VAE cache keys equal CPython vectors', async (t) => {
  for (const c of v.vae_keys) t.equal(vaeCacheKey(c.root, c.path), c.key, `${c.root} + ${c.path}`);
});

t.test('relative storage keys give the same file as (instance_data_dir, absolute path)', async (t) => {
  for (const key of ['a.png', 'sub/dir/cat.photo.jpg', 'x/y/z/w.webp']) {
    t.equal(vaeCacheKey('', key), vaeCacheKey('/data/ds', `/data/ds/${key}`), key);
  }
  const stem = createHash('sha256').update('cat.photo').digest('hex');
  t.equal(vaeCacheKey('', 'sub/cat.photo.jpg'), `sub/${stem}.pt`, 'only the last extension is dropped');
  t.equal(vaeCacheKey('', 'sub/cat.photo.jpg', { hashFilenames: false }), 'sub/cat.photo.pt');
  t.equal(vaeCacheKey('', 'already/cached.pt'), 'already/cached.pt', '.pt paths are their own cache file');
  t.equal(
    vaeCacheKey('', 'https://host.example/img/a.jpg'),
    `https:/host.example/img/${createHash('sha256').update('a').digest('hex')}.pt`,
    'URL keys (CSV datasets) keep their directory, slashes collapsed as on disk',
  );
});

t.test('text-embed keys equal CPython vectors', async (t) => {
  for (const c of v.text_keys) t.equal(textEmbedCacheKey(c.caption, c.model), c.key, JSON.stringify(c.caption));
  t.equal(textEmbedCacheKey(null, 'flux'), textEmbedCacheKey('', 'flux'), 'None hashes as the empty string');
});

t.test('path-based text-embed keys mix in the prompt', async (t) => {
  const base = textEmbedCacheKey('ds:img/a.png', 'qwen_image', { keyType: 'dataset_and_filename' });
  const withPrompt = textEmbedCacheKey('ds:img/a.png', 'qwen_image', {
    keyType: 'dataset_and_filename',
    prompt: 'a cat',
  });
  const md5 = createHash('md5').update('ds:img/a.png').update('\0prompt\0').update('a cat').digest('hex');
  t.equal(withPrompt, `${md5}-qwen_image.pt`);
  t.not(base, withPrompt);
  t.equal(
    textEmbedCacheKey('ds:img/a.png', 'm', { prompt: 'a cat' }),
    textEmbedCacheKey('ds:img/a.png', 'm'),
    'caption keys ignore prompt',
  );
  const abs = textEmbedCacheKey('img/./a.png', 'm', { keyType: 'filename', cwd: '/data' });
  t.equal(
    abs,
    textEmbedCacheKey('/data/img/a.png', 'm', { keyType: 'filename' }),
    'filename keys are made absolute and normalised',
  );
});

t.test('python path helpers match CPython', async (t) => {
  for (const c of v.stems) {
    t.equal(pyStem(c.path), c.stem, `stem ${c.path}`);
    t.same(pySplitext(c.path), c.splitext, `splitext ${c.path}`);
  }
  t.equal(pyDirname('/a/b//c.png'), '/a/b');
  t.equal(pyDirname('//x'), '//');
  t.equal(pyDirname('x'), '');
});
