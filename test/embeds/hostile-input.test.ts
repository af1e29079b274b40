// Hostile and damaged embed files: refused with EmbedFormatError, never executed, never another exception type.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import { EmbedFormatError } from '../../lib/errors.js';
import { readTorchFile } from '../../lib/embeds/torch-file.js';
import { readSafetensors } from '../../lib/embeds/safetensors.js';
import { crc32Portable, openZip, readZipEntries } from '../../lib/embeds/zip-reader.js';

const dir = fileURLToPath(new URL('../fixtures/embeds/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.pt') || f.endsWith('.safetensors'));
const read = (name: string, buf: Uint8Array): unknown =>
  name.endsWith('.safetensors') ? readSafetensors(buf) : readTorchFile(buf);

/** A stored-entry zip writer (deflate when asked), enough to craft archives the way torch lays them out. */
function zip(files: Record<string, Uint8Array | string>, deflate = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(files)) {
    const raw = Buffer.from(content);
    const body = deflate ? deflateRawSync(raw) : raw;
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, body);
    centrals.push(central, n);
    offset += 30 + n.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Object.keys(files).length, 8);
  eocd.writeUInt16LE(Object.keys(files).length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/** Protocol-2 pickle bytes from a list of opcode chunks. */
const pkl = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat([
    Buffer.from([0x80, 2]),
    ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))),
  ]);
const unicode = (s: string): number[] => {
  const b = Buffer.from(s);
  return [0x58, ...new Uint8Array(new Uint32Array([b.length]).buffer), ...b];
};

t.test('torch-generated malicious files are refused and nothing runs', async (t) => {
  for (const [name, global] of [
    ['malicious-system.pt', 'posix.system'],
    ['malicious-eval.pt', '__builtin__.eval'],
  ] as const) {
    const err = t.throws(() => readTorchFile(readFileSync(dir + name))) as unknown as EmbedFormatError;
    t.ok(err instanceof EmbedFormatError, `${name}: EmbedFormatError`);
    t.match(err.message, global, `${name}: message names ${global}`);
    t.equal(err.code, 'TF_EMBED_FORMAT');
  }
  t.notOk(existsSync('/tmp/tunefeed-pwned'), 'os.system payload never ran');
});

t.test('crafted archives', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    [
      'STACK_GLOBAL os.system',
      zip({ 'a/data.pkl': pkl(unicode('os'), unicode('system'), [0x93], unicode('id'), [0x85, 0x52, 0x2e]) }),
      /os\.system/,
    ],
    [
      'storage key path traversal',
      zip({
        'a/data.pkl': pkl(
          'ctorch._utils\n_rebuild_tensor_v2\n(',
          '(',
          unicode('storage'),
          'ctorch\nFloatStorage\n',
          unicode('../../etc/passwd'),
          unicode('cpu'),
          [0x4b, 1, 0x74, 0x51],
          '.',
        ),
      }),
      /lacks storage entry/,
    ],
    [
      'storage shorter than its numel',
      zip({
        'a/data.pkl': pkl(
          '(',
          unicode('storage'),
          'ctorch\nFloatStorage\n',
          unicode('0'),
          unicode('cpu'),
          [0x4a, 0, 0, 1, 0, 0x74, 0x51, 0x2e],
        ),
        'a/data/0': 'abcd',
      }),
      /shorter than/,
    ],
    ['BUILD refused', zip({ 'a/data.pkl': pkl('}', '}', 'b.') }), /BUILD/],
    ['unknown opcode', zip({ 'a/data.pkl': pkl('I1\n.') }), /unsupported opcode 0x49/],
    ['no data.pkl', zip({ 'a/other': 'x' }), /exactly one data\.pkl/],
    ['truncated pickle', zip({ 'a/data.pkl': pkl([0x58, 0xff, 0xff, 0, 0]) }), /truncated/],
    ['stack left over', zip({ 'a/data.pkl': pkl('NN.') }), /STOP with 2 values/],
    ['deflated data.pkl still parses', zip({ 'a/data.pkl': pkl('}.') }, true), /^$/],
    ['big-endian archive', zip({ 'a/data.pkl': pkl('}.'), 'a/byteorder': 'big' }), /Big-endian/],
    ['legacy non-zip torch', Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc]), /Legacy/],
    ['gzip over the limit', gzipSync(Buffer.alloc(4096)), /size limit/],
    // The memo is an array: a key no real stream can reach must not grow it to billions of slots.
    [
      'LONG_BINPUT far past the stream',
      zip({ 'a/data.pkl': pkl('N', [0x72, 0xff, 0xff, 0xff, 0xff], '.') }),
      /memo key/,
    ],
    ['BINGET of an unset memo slot', zip({ 'a/data.pkl': pkl('Nq', [3], 'h', [2], '.') }), /memo key 2 missing/],
  ];
  for (const [name, buf, re] of cases) {
    if (re.source === '^$') {
      t.same(readTorchFile(buf), {}, name);
      continue;
    }
    t.throws(() => readTorchFile(buf, { maxDecompressedBytes: 1024 }), re, name);
    try {
      readTorchFile(buf, { maxDecompressedBytes: 1024 });
    } catch (e) {
      t.ok(e instanceof EmbedFormatError, `${name}: coded error`);
    }
  }
});

t.test('torch 2.x wrapper forms still read as plain tensors', async (t) => {
  // Inside of _rebuild_tensor_v2's argument tuple: (storage pid, offset 0, size (2,), stride (1,), False,
  // OrderedDict()).
  const args = [
    '(',
    unicode('storage'),
    'ctorch\nFloatStorage\n',
    unicode('0'),
    unicode('cpu'),
    [0x4b, 2, 0x74, 0x51, 0x4b, 0, 0x4b, 2, 0x85, 0x4b, 1, 0x85, 0x89],
    'ccollections\nOrderedDict\n',
    [0x29, 0x52],
  ];
  const data = Buffer.from(new Float32Array([1.5, -2]).buffer);
  const wrapped = pkl(
    'ctorch._tensor\n_rebuild_from_type_v2\n',
    '(',
    'ctorch._utils\n_rebuild_tensor_v2\n',
    'ctorch\nTensor\n',
    '(',
    ...args,
    [0x74, 0x7d, 0x74, 0x52, 0x2e],
  );
  const v = readTorchFile(zip({ 'archive/data.pkl': wrapped, 'archive/data/0': data })) as {
    dtype: string;
    shape: number[];
    data: Uint8Array;
  };
  t.equal(v.dtype, 'float32');
  t.same([...new Float32Array(new Uint8Array(v.data).buffer)], [1.5, -2]);
  const plain = pkl('ctorch._utils\n_rebuild_tensor_v2\n', '(', ...args, [0x74, 0x52, 0x2e]);
  const p = readTorchFile(
    zip({ 'archive/data.pkl': plain, 'archive/data/0': data, 'archive/byteorder': 'little' }),
  ) as { shape: number[] };
  t.same(p.shape, [2], 'byteorder=little accepted');
  t.throws(
    () => readTorchFile(zip({ 'a/data.pkl': pkl('ctorch\nFloat8_e4m3fnStorage\n.') })),
    /Unsupported tensor storage torch\.Float8_e4m3fnStorage/,
  );
});

t.test('opt-in CRC-32 check catches bit rot inside tensor data', async (t) => {
  for (const name of fixtures.filter(
    (f) => f.endsWith('.pt') && !f.includes('compressed') && !f.startsWith('malicious'),
  )) {
    t.doesNotThrow(() => readTorchFile(readFileSync(dir + name), { verifyCrc: true }), `${name} passes its own CRCs`);
  }
  const buf = readFileSync(`${dir}latent-f32.pt`);
  const storage = readZipEntries(buf).get('archive/data/0')!;
  buf[storage.byteOffset - buf.byteOffset + 17] ^= 0x40;
  t.doesNotThrow(() => readTorchFile(buf), 'without the check a flipped value parses');
  t.throws(() => readTorchFile(buf, { verifyCrc: true }), /CRC-32/);
  const sample = readFileSync(`${dir}text-embeds.pt`);
  t.equal(crc32Portable(sample), crc32(sample) >>> 0, 'portable CRC equals zlib.crc32');
});

t.test('zip bomb: declared sizes are enforced before inflating', async (t) => {
  const bomb = zip({ 'a/data.pkl': Buffer.alloc(1 << 20) }, true);
  t.throws(() => readZipEntries(bomb, { maxInflatedBytes: 1 << 16 }), /limit/);
  t.equal(readZipEntries(bomb).get('a/data.pkl')!.byteLength, 1 << 20, 'within the default limit it inflates');
});

t.test('torch reads inflate only the entries they use: a bomb in an unused entry costs nothing', async (t) => {
  const archive = zip({ 'a/data.pkl': pkl([0x4b, 7], '.'), 'a/junk': Buffer.alloc(1 << 20) }, true);
  t.throws(() => readZipEntries(archive, { maxInflatedBytes: 1 << 16 }), /limit/, 'reading every entry hits it');
  t.equal(readTorchFile(archive, { maxDecompressedBytes: 1 << 16 }), 7, 'the torch reader never inflates a/junk');
  const names = openZip(archive).names;
  t.same(names, ['a/data.pkl', 'a/junk'], 'the directory still lists every entry');
});

t.test('every truncation of every fixture is an EmbedFormatError', async (t) => {
  let cases = 0;
  for (const name of fixtures) {
    const buf = readFileSync(dir + name);
    for (let len = 0; len < buf.length; len += name.endsWith('.safetensors') ? 1 : 3) {
      cases++;
      try {
        read(name, buf.subarray(0, len));
        t.fail(`${name} truncated to ${len} bytes parsed`);
      } catch (e) {
        if (!(e instanceof EmbedFormatError)) t.fail(`${name}@${len}: ${String(e)}`);
      }
    }
  }
  t.ok(cases > 3000, `${cases} truncations tried`);
});

t.test('random byte corruption never escapes as another exception type', async (t) => {
  let state = 0x9e3779b9;
  const rnd = (n: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % n;
  };
  let parsed = 0;
  let refused = 0;
  for (const name of fixtures) {
    const original = readFileSync(dir + name);
    for (let i = 0; i < 300; i++) {
      const buf = Buffer.from(original);
      for (let k = 0; k <= rnd(3); k++) buf[rnd(buf.length)] = rnd(256);
      try {
        read(name, buf);
        parsed++;
      } catch (e) {
        refused++;
        if (!(e instanceof EmbedFormatError)) t.fail(`${name} mutation ${i}: ${(e as Error).stack}`);
      }
    }
  }
  t.ok(refused > 0 && parsed > 0, `${parsed} mutated files parsed, ${refused} refused, all with EmbedFormatError`);
});

t.test('safetensors header checks', async (t) => {
  const head = (json: string, data = Buffer.alloc(0)): Buffer => {
    const h = Buffer.from(json);
    const n = Buffer.alloc(8);
    n.writeBigUInt64LE(BigInt(h.length));
    return Buffer.concat([n, h, data]);
  };
  t.throws(() => readSafetensors(head('{"a":')), /not JSON/);
  t.throws(() => readSafetensors(head('[]')), /not an object/);
  t.throws(
    () => readSafetensors(head('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', Buffer.alloc(4))),
    /outside/,
  );
  t.throws(
    () => readSafetensors(head('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', Buffer.alloc(8))),
    /needs 12/,
  );
  t.throws(
    () => readSafetensors(head('{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}', Buffer.alloc(8))),
    /unsupported dtype/,
  );
  const huge = Buffer.alloc(16);
  huge.writeBigUInt64LE(2n ** 62n);
  t.throws(() => readSafetensors(huge), /exceeds the file/);
  const ok = readSafetensors(
    head('{"__proto__":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}', Buffer.from([7, 9])),
  );
  t.same([...ok['__proto__'].data], [7, 9], '__proto__ is an ordinary tensor name');
});
