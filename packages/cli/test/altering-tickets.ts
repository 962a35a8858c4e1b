import type { AnyTable, Database, Session } from "@groundwork/db";

/** `db`, except that the first ticket of every batch written in a transaction gets its title changed. */
export function alteringTickets(db: Database): Database {
  const through = <T extends object>(real: T, override: (prop: string | symbol) => unknown): T =>
    new Proxy(real, {
      get(target, prop) {
        const replaced = override(prop);
        if (replaced !== undefined) return replaced;
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const session = (tx: Session): Session =>
    through(tx, (prop) =>
      prop === "repo"
        ? (table: AnyTable) => {
            const repo = tx.repo(table);
            if (table.name !== "tickets") return repo;
            return through(repo, (p) =>
              p === "createMany"
                ? (rows: Record<string, unknown>[]) =>
                    repo.createMany(rows.map((r, i) => (i === 0 ? { ...r, title: `${r.title} (altered)` } : r)))
                : undefined,
            );
          }
        : undefined,
    );
  return through(db, (prop) =>
    prop === "transaction"
      ? (fn: (tx: Session) => Promise<unknown>, options?: object) => db.transaction((tx) => fn(session(tx)), options)
      : undefined,
  );
}
