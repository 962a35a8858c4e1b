import { createHash } from "node:crypto";

/** `projectId` → `project_id`. */
export function snakeCase(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
}

// PostgreSQL truncates identifiers at 63 bytes, which would make the schema and the migrations disagree.
const MAX_IDENTIFIER = 63;

/** A constraint or index name that is stable, readable and within PostgreSQL's limit. */
export function constraintName(table: string, columns: readonly string[], suffix: string): string {
  const name = `${table}_${columns.join("_")}_${suffix}`;
  if (name.length <= MAX_IDENTIFIER) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, MAX_IDENTIFIER - suffix.length - 10)}_${hash}_${suffix}`;
}
