/**
 * writeFileAtomic replaces a file so that readers see the old content or the new one, never a mix: write a temporary
 * file beside it, fsync, rename over the target, fsync the directory. A write that fails at any point (disk full, file
 * size limit, the process killed) leaves the old file as it was and removes the temporary file when it can.
 */
import { open, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/** writeFileAtomic: see the module comment. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', 0o644);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  // The rename is durable once the directory entry is; some file systems refuse to fsync a directory.
  const directory = await open(dirname(path), 'r').catch(() => undefined);
  await directory?.sync().catch(() => undefined);
  await directory?.close();
}
