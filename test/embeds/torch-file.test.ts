// Every committed torch/safetensors fixture decodes to the values torch itself recorded in expected.json.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asFloat32, isTensor, type Tensor } from '../../lib/embeds/tensor.js';
import { readTorchFile } from '../../lib/embeds/torch-file.js';
import { readSafetensors, readSafetensorsMetadata } from '../../lib/embeds/safetensors.js';
import { readEmbedFile } from '../../lib/embeds/latents.js';

const dir = fileURLToPath(new URL('../fixtures/embeds/', import.meta.url));
type Desc = {
  tensor?: true;
  dtype?: string;
  shape?: number[];
  values?: (number | boolean)[];
  dict?: Record<string, Desc>;
  list?: Desc[];
  bytes?: string;
  value?: unknown;
};
type TestLike = Pick<typeof t, 'ok' | 'equal' | 'same' | 'type'>;
const expected = JSON.parse(readFileSync(`${dir}expected.json`, 'utf8')) as { files: Record<string, Desc> };

function tensorValues(x: Tensor): (number | boolean)[] {
  if (x.dtype === 'bool') return [...x.data].map((b) => b !== 0);
  if (x.dtype === 'int64') return [...new BigInt64Array(new Uint8Array(x.data).buffer)].map(Number);
  return [...asFloat32(x)];
}

/** Compare a decoded value with its description, collecting mismatches with their path. */
function check(t: TestLike, got: unknown, want: Desc, at: string): void {
  if (want.tensor) {
    t.ok(isTensor(got), `${at} is a tensor`);
    if (!isTensor(got)) return;
    t.equal(got.dtype, want.dtype, `${at} dtype`);
    t.same(got.shape, want.shape, `${at} shape`);
    t.same(tensorValues(got), want.values, `${at} values`);
  } else if (want.dict) {
    t.type(got, 'object', `${at} is a dict`);
    t.same(Object.keys(got as object).sort(), Object.keys(want.dict).sort(), `${at} keys`);
    for (const [k, v] of Object.entries(want.dict)) check(t, (got as Record<string, unknown>)[k], v, `${at}.${k}`);
  } else if (want.list) {
    t.ok(Array.isArray(got), `${at} is a list`);
    t.equal((got as unknown[]).length, want.list.length, `${at} length`);
    want.list.forEach((v, i) => check(t, (got as unknown[])[i], v, `${at}[${i}]`));
  } else if (want.bytes !== undefined) {
    t.equal(Buffer.from(got as Uint8Array).toString('hex'), want.bytes, `${at} bytes`);
  } else {
    t.same(got, want.value, `${at} value`);
  }
}

for (const [name, want] of Object.entries(expected.files)) {
  t.test(name, async (t) => {
    const buf = readFileSync(dir + name);
    const got = name.endsWith('.safetensors') ? readSafetensors(buf) : readTorchFile(buf);
    check(t, got, want, name);
    t.same(readEmbedFile(buf), got, 'readEmbedFile auto-detects the format');
  });
}

t.test('float32 tensors are zero-copy views of the file buffer', async (t) => {
  const buf = readFileSync(`${dir}latent-f32.pt`);
  const x = readTorchFile(buf) as Tensor;
  t.equal(x.data.buffer, buf.buffer, 'data shares the file buffer');
  const f = asFloat32(x);
  t.equal(f.buffer, buf.buffer, 'float32 view shares it too');
  t.equal(f.length, 4 * 6 * 5);
});

t.test('compressed and plain bf16 latents decode identically', async (t) => {
  const a = readTorchFile(readFileSync(`${dir}latent-bf16.pt`)) as Tensor;
  const b = readTorchFile(readFileSync(`${dir}latent-compressed.pt`)) as Tensor;
  t.same([...asFloat32(a)], [...asFloat32(b)]);
  t.equal(readFileSync(`${dir}latent-compressed.pt`)[0], 0x1f, 'fixture really is gzip');
});

t.test('safetensors metadata and dict keys are plain data', async (t) => {
  const buf = readFileSync(`${dir}embeds.safetensors`);
  t.same(readSafetensorsMetadata(buf), { format: 'pt' });
  const d = readTorchFile(readFileSync(`${dir}text-embeds.pt`)) as Record<string, unknown>;
  t.equal(Object.getPrototypeOf(d), null, 'dicts have no prototype (no __proto__ pollution)');
});

t.test('f32/fp16/bf16 tensors at a misaligned offset convert to the same values as aligned ones', async (t) => {
  for (const name of ['latent-f32.pt', 'latent-f16.pt', 'latent-bf16.pt']) {
    const x = readTorchFile(readFileSync(dir + name)) as Tensor;
    const shifted = new Uint8Array(x.data.byteLength + 1);
    shifted.set(x.data, 1);
    const unaligned: Tensor = { ...x, data: shifted.subarray(1) };
    t.equal(unaligned.data.byteOffset % 2, 1, 'really unaligned');
    t.same([...asFloat32(x)], [...asFloat32(unaligned)], name);
  }
  const f32 = readTorchFile(readFileSync(`${dir}latent-f32.pt`)) as Tensor;
  t.equal(asFloat32(f32).buffer, f32.data.buffer, 'aligned float32: a view of the file buffer, no copy');
  const odd = new Uint8Array(f32.data.byteLength + 1);
  odd.set(f32.data, 1);
  t.not(asFloat32({ ...f32, data: odd.subarray(1) }).buffer, odd.buffer, 'misaligned float32: an aligned copy');
});
