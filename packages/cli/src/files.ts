import { existsSync, mkdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { CommandFailure } from "./output.js";

/**
 * Makes `dir` and the folders above it that are missing, one level at a time, and returns those it
 * made, outermost first. (Not mkdirSync's `recursive`: under /proc it retries ENOENT for ever.)
 */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !existsSync(at); at = path.dirname(at)) {
    missing.unshift(at);
    if (path.dirname(at) === at) break;
  }
  const made: string[] = [];
  for (const folder of missing) {
    mkdirSync(folder);
    made.push(folder);
  }
  return made;
}

/** Removes what a failed command made: files, then the folders it made for them (if still empty). */
export function removeMade(files: string[], folders: string[]): void {
  for (const file of files) {
    try {
      rmSync(file, { recursive: true, force: true });
    } catch {
      // not there to remove (a part of its path is no folder): nothing was made
    }
  }
  for (const folder of [...folders].reverse()) {
    try {
      rmdirSync(folder);
    } catch {
      // not empty (or gone): leave it
    }
  }
}

export function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

const reasons: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the device",
  EDQUOT: "the disk quota is used up",
  EISDIR: "it is a directory",
  ENOTDIR: "a part of the path is not a directory",
  EEXIST: "it exists already",
  EIO: "an input/output error",
  ENAMETOOLONG: "the name is too long",
  SQLITE_CANTOPEN: "unable to open it as a database file",
  SQLITE_FULL: "no space left on the device",
  SQLITE_READONLY: "it is read-only",
};

/** Whether `error` is a file-system (or SQLite file) error, one that `fileFailure` can word. */
export function isFileError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" && (code in reasons || code.startsWith("SQLITE_IOERR"));
}

/** "cannot write <file>: <why>", in words, for a file-system error. */
export function fileFailure(action: string, file: string, error: unknown): CommandFailure {
  const code = (error as { code?: string }).code ?? "";
  const why = reasons[code] ?? (error as Error).message ?? String(error);
  return new CommandFailure(`cannot ${action} ${file}: ${why}`);
}
