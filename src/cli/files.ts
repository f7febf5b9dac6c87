/**
 * The files a command reads and writes, checked before any work starts, so
 * that a wrong path ends the command with one line naming the path and why
 * (not a stack trace from a stream's 'error' event, nor a count of rows
 * that were never written).
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
};

/** An error on a path as one line: the path, what was being done, and why in words (the system's code when no words are known). */
export function fileError(path: string, doing: 'read' | 'write', error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const missing = doing === 'read' ? 'no such file' : 'its directory does not exist';
  const reason = code === 'ENOENT' ? missing : (code && REASONS[code]) ?? code ?? (error instanceof Error ? error.message : String(error));
  return new Error(`cannot ${doing} ${path}: ${reason}`, { cause: error });
}

/** The size of a file that can be read; throws fileError otherwise. */
export async function readableFile(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw fileError(path, 'read', error);
  }
  if (info.isDirectory()) throw fileError(path, 'read', Object.assign(new Error('directory'), { code: 'EISDIR' }));
  return info.size;
}

/**
 * A file opened for writing, once it is open: a missing directory or a
 * denied permission is thrown here as fileError, before anything is read.
 * Later write errors still reach whoever pipes into it.
 */
export async function openOutput(path: string): Promise<WriteStream> {
  const out = createWriteStream(path);
  try {
    await once(out, 'open');
  } catch (error) {
    throw fileError(path, 'write', error);
  }
  return out;
}

/** After a failure: the output file written only in part is removed, so it cannot be taken for a whole one. */
export async function discardOutput(out: WriteStream, path: string): Promise<void> {
  out.destroy();
  await rm(path, { force: true }).catch(() => undefined);
}
