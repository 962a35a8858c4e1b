import { type AnyTable, NotFoundError, type Session, type TextSearch, textSearch } from "@groundwork/db";
import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { requireProjectAccess } from "../access/project-access.js";
import type { Principal, ServiceContext } from "../context.js";
import { chatMessages, files, prompts, tasks, tickets } from "../schema/index.js";
import { parseInput } from "./input.js";

export const searchTypes = ["ticket", "task", "prompt", "file", "message"] as const;
export type SearchType = (typeof searchTypes)[number];

export const MAX_SEARCH_QUERY = 2000;

export const searchInput = z
  .object({
    q: z.string().min(1).max(MAX_SEARCH_QUERY),
    teamId: z.uuid().optional(),
    projectId: z.uuid().optional(),
    types: z.array(z.enum(searchTypes)).min(1).optional(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .strict();
export type SearchInput = z.input<typeof searchInput>;

/** One hit: what it is, where it lives, and a passage around the words. Higher `rank` is better. */
export interface SearchResult {
  type: SearchType;
  id: string;
  /** The project it belongs to; null for a team-wide prompt. */
  projectId: string | null;
  /** The task's ticket. */
  ticketId?: string;
  /** The message's chat. */
  chatId?: string;
  title: string;
  snippet: string;
  rank: number;
}

const TITLE_LENGTH = 200;

/** The projects the caller sees: of live teams they belong to (an agent: its team), or collaborate on. */
function visibleProjects(principal: Principal, teamId: string | undefined): SQL {
  const inTeam = teamId ? sql` and p.team_id = ${teamId}` : sql``;
  const reach =
    principal.kind === "agent"
      ? sql`p.team_id = ${principal.teamId}`
      : sql`(p.team_id in (select m.team_id from team_members m where m.user_id = ${principal.userId})
           or p.id in (select c.project_id from project_collaborators c where c.user_id = ${principal.userId}))`;
  return sql`select p.id from projects p join teams t on t.id = p.team_id and t.deleted_at is null
             where p.deleted_at is null and ${reach}${inTeam}`;
}

/** The live teams whose team-wide prompts the caller sees: their teams (an agent: its team). */
function visibleTeams(principal: Principal, teamId: string | undefined): SQL {
  const inTeam = teamId ? sql` and t.id = ${teamId}` : sql``;
  const reach =
    principal.kind === "agent"
      ? sql`t.id = ${principal.teamId}`
      : sql`t.id in (select m.team_id from team_members m where m.user_id = ${principal.userId})`;
  return sql`select t.id from teams t where t.deleted_at is null and ${reach}${inTeam}`;
}

interface Scope {
  projects: SQL;
  /** Teams whose team-wide prompts count; none when the search is about one project. */
  teams?: SQL;
}

async function scopeOf(db: Session, principal: Principal, input: z.output<typeof searchInput>): Promise<Scope> {
  if (input.projectId) {
    const { project } = await requireProjectAccess(db, principal, input.projectId, "read");
    if (input.teamId && project.teamId !== input.teamId) throw new NotFoundError("projects", input.projectId);
    return { projects: sql`select p.id from projects p where p.id = ${input.projectId}` };
  }
  const scope = { projects: visibleProjects(principal, input.teamId), teams: visibleTeams(principal, input.teamId) };
  if (input.teamId) {
    // A team the caller neither belongs to nor collaborates in answers as one that does not exist.
    const [seen] = await db.execute(
      sql`select 1 as "seen" where exists (${scope.teams}) or exists (${scope.projects})`,
    );
    if (!seen) throw new NotFoundError("teams", input.teamId);
  }
  return scope;
}

type Hit = {
  id: string;
  projectId: string | null;
  parentId?: string | null;
  title: string;
  snippet: string;
  rank: unknown;
};

/** The best `limit` hits of one type within the scope. */
async function searchType(
  db: Session,
  type: SearchType,
  q: string,
  scope: Scope,
  limit: number,
): Promise<SearchResult[]> {
  const query = (table: AnyTable, select: (s: TextSearch) => SQL) => {
    const search = textSearch(db.dialect, table, q);
    return search
      ? db.execute<Hit>(sql`${select(search)} order by "rank" desc, "id" limit ${sql.raw(String(limit))}`)
      : [];
  };
  const columns = (s: TextSearch, id: SQL, projectId: SQL, title: SQL, parentId?: SQL) =>
    sql`select ${id} as "id", ${projectId} as "projectId", ${parentId ?? sql`null`} as "parentId", ${title} as "title",
               ${s.snippet} as "snippet", ${s.rank} as "rank" from ${s.from}`;

  let rows: Hit[];
  switch (type) {
    case "ticket":
      rows = await query(
        tickets,
        (s) => sql`${columns(s, sql`tickets.id`, sql`tickets.project_id`, sql`tickets.title`)}
          where ${s.match} and tickets.deleted_at is null and tickets.project_id in (${scope.projects})`,
      );
      break;
    case "task":
      rows = await query(
        tasks,
        (s) => sql`${columns(s, sql`tasks.id`, sql`k.project_id`, sql`tasks.content`, sql`tasks.ticket_id`)}
          join tickets k on k.id = tasks.ticket_id
          where ${s.match} and k.deleted_at is null and k.project_id in (${scope.projects})`,
      );
      break;
    case "prompt": {
      const teamWide = scope.teams
        ? sql` or (prompts.project_id is null and prompts.team_id in (${scope.teams}))`
        : sql``;
      rows = await query(
        prompts,
        (s) => sql`${columns(s, sql`prompts.id`, sql`prompts.project_id`, sql`prompts.title`)}
          where ${s.match} and (prompts.project_id in (${scope.projects})${teamWide})`,
      );
      break;
    }
    case "file":
      rows = await query(
        files,
        (s) => sql`${columns(s, sql`files.id`, sql`files.project_id`, sql`files.path`)}
          where ${s.match} and files.project_id in (${scope.projects})`,
      );
      break;
    case "message":
      rows = await query(
        chatMessages,
        (s) => sql`${columns(s, sql`chat_messages.id`, sql`c.project_id`, sql`c.title`, sql`chat_messages.chat_id`)}
          join chats c on c.id = chat_messages.chat_id
          where ${s.match} and c.project_id in (${scope.projects})`,
      );
      break;
  }
  return rows.map((row) => ({
    type,
    id: String(row.id),
    projectId: row.projectId === null ? null : String(row.projectId),
    ...(type === "task" ? { ticketId: String(row.parentId) } : {}),
    ...(type === "message" ? { chatId: String(row.parentId) } : {}),
    title: shorten(String(row.title)),
    snippet: String(row.snippet ?? ""),
    rank: Number(row.rank),
  }));
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  const chars = Array.from(line);
  return chars.length <= TITLE_LENGTH ? line : `${chars.slice(0, TITLE_LENGTH - 1).join("")}…`;
}

/**
 * Full-text search over tickets, tasks, prompts, files (path and summary) and chat messages, best
 * first, within what the caller may see; `teamId` or `projectId` narrow it, `types` picks kinds.
 * Any text is a valid query: only its words count, and one without words finds nothing.
 */
export async function search(ctx: ServiceContext, input: unknown): Promise<{ data: SearchResult[] }> {
  const values = parseInput(searchInput, input);
  const scope = await scopeOf(ctx.db, ctx.principal, values);
  const types = values.types ? [...new Set(values.types)] : [...searchTypes];
  const hits: SearchResult[] = [];
  for (const type of types) hits.push(...(await searchType(ctx.db, type, values.q, scope, values.limit)));
  hits.sort(
    (a, b) => b.rank - a.rank || searchTypes.indexOf(a.type) - searchTypes.indexOf(b.type) || (a.id < b.id ? -1 : 1),
  );
  return { data: hits.slice(0, values.limit) };
}
