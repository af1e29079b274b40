// Entry of the prefetch thread when running from .ts sources. Loaders differ per thread: tsx (Node 20) hooks
// require() in every thread but import() only on the main one; tap's loader hooks import() everywhere. Like
// piscina's worker, try require() and fall back to import().
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const file = path.join(__dirname, 'prefetch-thread.ts');
try {
  require(file);
} catch (err) {
  if (err.code !== 'ERR_REQUIRE_ESM') throw err;
  import(pathToFileURL(file).href);
}
