import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.ts';

/** The migration files directly in a migrations directory: `<name>/migration.sql` (Prisma) and `*.sql`, in name order (timestamps first). */
function migrationsIn(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && existsSync(path.join(full, 'migration.sql'))) found.push(path.join(full, 'migration.sql'));
    else if (entry.isFile() && entry.name.endsWith('.sql')) found.push(full);
  }
  return found;
}

/**
 * The migration files named by paths: a file as given; a directory's
 * `prisma/migrations`, else its `migrations`, else the directory itself
 * (each: `<name>/migration.sql` folders and `.sql` files). A path that does
 * not exist, or a directory with no migration, is a `UserError`.
 */
export function findMigrationFiles(paths: string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (!existsSync(p)) throw new UserError(`${p} does not exist.`, 'Give migration files (.sql) or directories that hold them (a Prisma project, its prisma/migrations, or a migrations folder).');
    if (!statSync(p).isDirectory()) {
      files.push(p);
      continue;
    }
    const dir = [path.join(p, 'prisma', 'migrations'), path.join(p, 'migrations'), p].find((d) => existsSync(d) && statSync(d).isDirectory() && migrationsIn(d).length > 0);
    if (!dir) throw new UserError(`No migration found in ${p}: no prisma/migrations/<name>/migration.sql, no migrations folder, no .sql file.`, 'Give the migration files or the directory that holds them.');
    files.push(...migrationsIn(dir));
  }
  return files;
}
