// The latent files bench/latents.ts reads: written once by Debian's torch (/usr/bin/python3) and cached in the corpus.
// .pt and gzip .pt are what SimpleTuner's VAECache writes (torch.save, gzip-wrapped when compress_cache is on);
// .safetensors is the format tunefeed also reads (SimpleTuner's Hugging Face and webshart backends accept it as a
// cache file); python's safetensors package is not on Debian, so the writer lays out its header + bytes itself.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { vaeCacheKey } from '../lib/embeds/cache-keys.js';
import { CORPUS_DIR } from './corpus.js';

const PYTHON = '/usr/bin/python3';
/** Written last, so its presence also says the set is complete. */
const DIGEST_FILE = 'tensors.sha256';

/** How the latents are stored: torch.save zip, gzip-wrapped torch.save, or safetensors. */
export type LatentFormat = 'pt' | 'pt-gzip' | 'safetensors';

/** One set of latent files. */
export interface LatentSpec {
  count: number;
  shape: [number, number, number];
  format: LatentFormat;
}

// One python process writes every file (bf16, seeded), each through a temp name + rename, then the sha256 of all
// tensors' raw bytes in key order: torch's own account of the data, which the bench checks tunefeed's output against.
const WRITER = `
import gzip, hashlib, io, json, os, struct, sys, torch
out, fmt = sys.argv[1], sys.argv[6]
count, c, h, w = (int(a) for a in sys.argv[2:6])
g = torch.Generator().manual_seed(7)
digest = hashlib.sha256()
def safetensors(t, raw):
    spec = {"latents": {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [0, len(raw)]}}
    head = json.dumps(spec, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # the safetensors package pads its header to 8 bytes
    return struct.pack("<Q", len(head)) + head + raw
def write(dest, data):
    with open(dest + ".tmp", "wb") as f:
        f.write(data)
    os.replace(dest + ".tmp", dest)
for line in sys.stdin:
    name = line.strip()
    t = torch.randn(c, h, w, generator=g).bfloat16()
    raw = t.view(torch.int16).numpy().tobytes()
    digest.update(raw)
    if fmt == "safetensors":
        data = safetensors(t, raw)
    else:
        buf = io.BytesIO()
        torch.save(t, buf)
        # SimpleTuner's _compress_torch: gzip.GzipFile default level 9 over the torch.save bytes.
        data = gzip.compress(buf.getvalue(), compresslevel=9, mtime=0) if fmt == "pt-gzip" else buf.getvalue()
    write(os.path.join(out, name), data)
write(os.path.join(out, "${DIGEST_FILE}"), digest.hexdigest().encode())
`;

const SUFFIX: Record<LatentFormat, string> = { pt: '', 'pt-gzip': '-gz', safetensors: '-st' };

/** The cache keys of a spec: SimpleTuner's VAE cache names (`sha256(stem).pt`), `.safetensors` for that format. */
export function latentKeys(spec: LatentSpec): string[] {
  return Array.from({ length: spec.count }, (_, i) => {
    const key = vaeCacheKey('', `img-${String(i).padStart(6, '0')}.png`);
    return spec.format === 'safetensors' ? key.replace(/\.pt$/, '.safetensors') : key;
  });
}

/** The files of a spec, and torch's sha256 of all their tensors' bytes in key order. */
export interface LatentFiles {
  dir: string;
  keys: string[];
  sha256: string;
}

/** The directory holding the spec's files, written on first use; null (and a note on stderr) without torch. */
export async function ensureLatentFiles(spec: LatentSpec): Promise<LatentFiles | null> {
  const dir = path.join(CORPUS_DIR, `latents-bench-${spec.count}-${spec.shape.join('x')}${SUFFIX[spec.format]}`);
  const keys = latentKeys(spec);
  const known = await readFile(path.join(dir, DIGEST_FILE), 'utf8').catch(() => null);
  if (known) return { dir, keys, sha256: known.trim() };
  await mkdir(dir, { recursive: true });
  const r = spawnSync(PYTHON, ['-c', WRITER, dir, String(spec.count), ...spec.shape.map(String), spec.format], {
    input: keys.join('\n'),
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  if (r.status !== 0) {
    process.stderr.write(
      `bench/latents: torch writer failed (apt-get install -y python3-torch): ${r.stderr?.toString().slice(-300)}\n`,
    );
    return null;
  }
  return { dir, keys, sha256: (await readFile(path.join(dir, DIGEST_FILE), 'utf8')).trim() };
}
