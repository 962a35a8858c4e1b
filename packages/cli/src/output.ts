/** Where a command writes: lines for people on stdout, problems on stderr. */
export interface Output {
  info(line: string): void;
  error(line: string): void;
}

export const consoleOutput: Output = {
  info: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
};

/** A mistake in how the command was called; shown as one line. */
export class UsageError extends Error {}

/** A failure the command explains in its own words; shown as one line. */
export class CommandFailure extends Error {}
