import { readFileSync } from "node:fs";
import { DatabaseUnavailableError, DataError } from "@groundwork/db";
import { backup, backupHelp } from "./commands/backup.js";
import { bench, benchHelp } from "./commands/bench.js";
import { migrate, migrateHelp } from "./commands/migrate.js";
import { restore, restoreHelp } from "./commands/restore.js";
import { seed, seedHelp } from "./commands/seed.js";
import { serve, serveHelp } from "./commands/serve.js";
import { transfer, transferHelp } from "./commands/transfer.js";
import { fileFailure, isFileError } from "./files.js";
import { CommandFailure, consoleOutput, type Output, UsageError } from "./output.js";

const help = `Usage: groundwork <command> [options]
       groundwork --version

Commands:
  serve      migrate, seed the demo into an empty database, serve the API (what npm start runs)
  migrate    status | up | down: move the schema forward or back
  seed       migrate and seed the demo workspace into an empty database
  backup     write a copy of the database to a file
  restore    restore a backup into an empty database
  transfer   copy every row into another database, SQLite or PostgreSQL, and check the copy
  bench      run the benchmarks (from a checkout of the repository)

Run groundwork <command> --help for a command's options; groundwork --version (-v) prints the version.
Configuration comes from the environment: DATABASE_URL, DATABASE_REPLICA_URLS, DATABASE_POOL_MAX,
and for serve PORT, HOST, LOG_LEVEL, GROUNDWORK_DEMO.`;

const commands: Record<string, { run: (args: string[], out: Output) => Promise<number>; help: string }> = {
  serve: { run: serve, help: serveHelp },
  migrate: { run: migrate, help: migrateHelp },
  seed: { run: seed, help: seedHelp },
  backup: { run: backup, help: backupHelp },
  restore: { run: restore, help: restoreHelp },
  transfer: { run: transfer, help: transferHelp },
  bench: { run: bench, help: benchHelp },
};

/** Runs one command line; returns the exit code. Failures are one line on stderr, never a stack trace. */
export async function main(argv: string[], out: Output = consoleOutput): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    out.info(help);
    return name ? 0 : 1;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    out.info(`groundwork ${version()}`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    out.error(`groundwork: unknown command "${name}"; run groundwork --help`);
    return 1;
  }
  if (args.includes("--help") || args.includes("-h")) {
    out.info(command.help);
    return 0;
  }
  try {
    return await command.run(args, out);
  } catch (error) {
    out.error(`groundwork ${name}: ${describe(error, name)}`);
    return 1;
  }
}

function describe(error: unknown, command: string): string {
  if (error instanceof DatabaseUnavailableError) {
    const cause = (error.cause as Error | undefined)?.message;
    return cause ? `the database is unavailable: ${cause}` : error.message;
  }
  if (error instanceof DataError || error instanceof UsageError || error instanceof CommandFailure)
    return error.message;
  // node:util parseArgs reports bad options with a code and a readable message; for an unknown
  // option, one that explains how to pass positionals that start with "-" as well.
  const code = (error as { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'([^']+)'/.exec((error as Error).message)?.[1] ?? "option";
    return `unknown option ${option}; see groundwork ${command} --help`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const message = (error as Error).message;
    const option = /'(-[^' ]+)/.exec(message)?.[1] ?? "the option";
    if (/does not take an argument/.test(message)) return `${option} takes no value; see groundwork ${command} --help`;
    if (/ambiguous/.test(message)) {
      return `${option} needs a value (one that starts with "-" is written ${option}=<value>); see groundwork ${command} --help`;
    }
    return `${option} needs a value; see groundwork ${command} --help`;
  }
  if (code?.startsWith("ERR_PARSE_ARGS")) {
    const first = (error as Error).message.split("\n")[0] ?? "";
    return `${first.charAt(0).toLowerCase()}${first.slice(1)}; see groundwork ${command} --help`;
  }
  // A file-system error with its path (node:fs): say what could not be done, to which file.
  const { syscall, path } = (error ?? {}) as { syscall?: string; path?: string };
  if (isFileError(error) && syscall && path) return fileFailure(syscall, path, error).message;
  return `unexpected failure: ${(error as Error).message ?? String(error)}`;
}

/** The version of the cli package. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
