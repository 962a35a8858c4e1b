/** An `Output` that keeps what a command prints: its lines and its error lines. */
export function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  return { out: { info: (l: string) => lines.push(l), error: (l: string) => errors.push(l) }, lines, errors };
}
