// A small image folder and its multidatabackend.json for tests that run the real `tunefeed stream` command.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/**
 * `images` JPEGs in `dir/imgs` (64×64 and 96×64 in turn), and `dir/cfg.json`: dataset `id` at 48 px, square centre
 * crop, batches of 2, plus the text-embeds entry. Returns the config path.
 */
export async function writeStreamConfig(dir: string, id: string, images: number): Promise<string> {
  const imgs = path.join(dir, 'imgs');
  await mkdir(imgs, { recursive: true });
  for (let i = 0; i < images; i++)
    await sharp({
      create: { width: i % 2 ? 96 : 64, height: 64, channels: 3, background: { r: i * 10, g: 40, b: 90 } },
    })
      .jpeg()
      .toFile(path.join(imgs, `img_${i}.jpg`));
  const entry = {
    id,
    type: 'local',
    instance_data_dir: imgs,
    caption_strategy: 'filename',
    resolution: 48,
    resolution_type: 'pixel',
    crop: true,
    crop_style: 'center',
    crop_aspect: 'square',
    train_batch_size: 2,
    cache_dir_vae: path.join(dir, 'vae'),
  };
  const text = {
    id: 'text',
    type: 'local',
    dataset_type: 'text_embeds',
    default: true,
    cache_dir: path.join(dir, 'text'),
  };
  const cfg = path.join(dir, 'cfg.json');
  await writeFile(cfg, JSON.stringify([entry, text]));
  return cfg;
}
