import { type ParseArgsConfig, parseArgs } from "node:util";

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

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * A command's options and its arguments, at most `maxArguments` of them: one more, an option it does
 * not know, or one given twice (which of them was meant?) is a UsageError. `--help` never gets here:
 * `main` answers it for every command.
 */
export function commandArgs<O extends Options>(command: string, args: string[], options: O, maxArguments = 0) {
  const { values, positionals, tokens } = parseArgs({
    args,
    options,
    allowPositionals: true,
    strict: true,
    tokens: true,
  });
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given twice; give it once`);
    seen.add(token.name);
  }
  const extra = positionals[maxArguments];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"; see groundwork ${command} --help`);
  return { values, positionals };
}
