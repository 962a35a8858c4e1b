import { Migrator } from "@groundwork/db";
import { Auth, migrationsDir } from "@groundwork/domain";
import { seedDemo } from "@groundwork/domain/seed";
import { readConfig } from "../config.js";
import { openConfiguredDatabase } from "../open.js";
import { commandArgs, type Output } from "../output.js";

export const seedHelp = `Usage: groundwork seed

Migrates the database (DATABASE_URL, default file:./data/groundwork.db) and fills it with the demo
workspace: a team, a project with tickets and tasks, a work queue, two agents with a week of costs,
and the sign-in demo@groundwork.dev / groundwork-demo. Only an empty database (no users) is seeded;
the agent's API token is printed once. groundwork serve does the same on start unless
GROUNDWORK_DEMO is off.`;

export async function seed(args: string[], out: Output): Promise<number> {
  commandArgs("seed", args, {});

  const db = await openConfiguredDatabase(readConfig());
  try {
    const applied = await new Migrator(db, migrationsDir(db.dialect)).up();
    for (const id of applied) out.info(`applied  ${id}`);
    const result = await seedDemo(db, await Auth.create(db));
    if (!result.created) {
      out.info("the database is not empty: nothing seeded");
      return 0;
    }
    const counts = Object.entries(result.counts ?? {})
      .map(([table, n]) => `${table} ${n}`)
      .join(", ");
    out.info(`seeded the demo workspace into ${db.url} (${db.driver}): ${counts}`);
    out.info(`sign in as ${result.user.email}, password ${result.user.password}`);
    if (result.agentToken) {
      out.info(`API token of the agent "${result.agentName}" (shown once, keep it now): ${result.agentToken}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}
