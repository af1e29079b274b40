// The latents target judges every format bench/latents.ts prints (.pt, gzip .pt, .safetensors) as a row of its own,
// on the first ratio (vs_raw_read), with the per-round spread deciding UNDECIDED.
import t from 'tap';
import { evaluateTargets, type BenchLine } from '../../bench/results.js';

/** Lines shaped as bench/latents.ts prints them: vs_raw_read first, then the other ratios, with spreads. */
const lines: BenchLine[] = [
  {
    bench: 'latents',
    case: 'bf16 [4,128,128] ×512 .pt (zip), batch 8',
    ratios: { vs_raw_read: 0.93, f32_vs_raw_read: 0.4, parse_vs_storage_only: 0.95 },
    spread: { vs_raw_read: [0.85, 1.02] },
  },
  {
    bench: 'latents',
    case: 'bf16 [4,128,128] ×512 .pt gzip (compress_cache), batch 8',
    ratios: { vs_raw_read: 0.2, parse_vs_storage_only: 0.2, inflate_only_vs_raw_read: 0.21, vs_inflate_only: 0.97 },
    spread: { vs_raw_read: [0.15, 0.3], inflate_only_vs_raw_read: [0.16, 0.3] },
  },
  {
    bench: 'latents',
    case: 'bf16 [4,128,128] ×512 .safetensors, batch 8',
    ratios: { vs_raw_read: 0.9, f32_vs_raw_read: 0.4 },
    spread: { vs_raw_read: [0.7, 1.1] },
  },
];

t.test('each latent format gets its own row of the latents target, judged on vs_raw_read', async (t) => {
  const rows = evaluateTargets(lines).filter((r) => r.target.bench === 'latents');
  t.same(
    rows.map((r) => [r.line?.case.match(/\.pt gzip|\.pt \(zip\)|\.safetensors/)?.[0], r.key, r.verdict]),
    [
      ['.pt (zip)', 'vs_raw_read', 'PASS'],
      ['.pt gzip', 'vs_raw_read', 'MISS'],
      ['.safetensors', 'vs_raw_read', 'UNDECIDED'],
    ],
    'one row per format; a spread across 0.8 is UNDECIDED, not PASS',
  );
  t.same(rows[2].spread, [0.7, 1.1], 'the safetensors row carries its spread');
});
