// What the compiled CLI in dist/ was built from: the number of source files
// and the newest modification time among them (src/, runbooks/, scenarios/).
// bin/build.mjs records it; bin/pgdrill.mjs compares it at start, so a CLI
// compiled before an edit is never run (the sources run under tsx instead).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const SOURCE_DIRS = ['src', 'runbooks', 'scenarios'];

/** { files, newestMtimeMs } of the sources under `root`. */
export function sourceFingerprint(root) {
  let files = 0;
  let newestMtimeMs = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        files++;
        newestMtimeMs = Math.max(newestMtimeMs, statSync(full).mtimeMs);
      }
    }
  };
  for (const dir of SOURCE_DIRS) walk(path.join(root, dir));
  return { files, newestMtimeMs };
}
