import {
  auditLogSchemas,
  dateTimeInput,
  teamMemberSchemas,
  type teamMembers,
  teamRoles,
  teamSchemas,
  teamService,
  type teams,
} from "@groundwork/domain";
import { createRoute, z } from "@hono/zod-openapi";
import { serviceContext } from "../context.js";
import type { AppDependencies } from "../env.js";
import { etagHeader, expectedVersion, IF_MATCH } from "../etag.js";
import { authenticated, jsonBody, jsonResponse, problems } from "../openapi.js";
import { listOptions, listQuery, pageOf } from "../pagination.js";
import { router } from "../router.js";
import { jsonPresentValue, named } from "../schemas.js";

const TeamSchema = named(
  teamSchemas.select.omit({ deletedAt: true }).extend({ role: z.enum(teamRoles) }),
  "Team",
  "A team, with the caller's role in it",
);
const MemberSchema = named(
  teamMemberSchemas.select.extend({ name: z.string(), email: z.string() }),
  "TeamMember",
  "A member of a team, with the user's name and email",
);
const settingValue = jsonPresentValue;
const SettingSchema = z
  .object({ key: z.string(), value: settingValue, updatedAt: z.date() })
  .openapi("TeamSetting", { description: "A team setting: any JSON value under a key" });
const SettingRequestSchema = z.object({ value: settingValue }).strict().openapi("TeamSettingRequest");
const AuditLogSchema = named(auditLogSchemas.select, "AuditLog");

const teamParam = z.object({ teamId: z.uuid() });
const memberParam = z.object({ teamId: z.uuid(), userId: z.uuid() });
const settingParam = z.object({ teamId: z.uuid(), key: teamService.settingKey });
const memberQuery = listQuery.extend({
  role: z.enum(teamRoles).optional().openapi({ description: "only members with this role" }),
});
const auditLogQuery = listQuery.omit({ sort: true }).extend({
  entity: z.string().trim().min(1).max(100).optional().openapi({ description: "`team`, `member`, `setting`, …" }),
  action: z.string().trim().min(1).max(100).optional().openapi({ description: "`team.updated`, `member.added`, …" }),
  actor: z.uuid().optional().openapi({ description: "the id of the user or agent who made the change" }),
  from: dateTimeInput.optional().openapi({ description: "ISO-8601; changes at or after this time" }),
  to: dateTimeInput.optional().openapi({ description: "ISO-8601; changes before this time" }),
});

const tags = ["teams"];

const listTeams = createRoute({
  method: "get",
  path: "/teams",
  tags,
  summary: "The teams you belong to (an agent: its own team)",
  security: authenticated,
  request: { query: listQuery },
  responses: { 200: jsonResponse(pageOf(TeamSchema), "A page of teams"), ...problems("unauthenticated") },
});
const createTeam = createRoute({
  method: "post",
  path: "/teams",
  tags,
  summary: "Create a team; you become its owner",
  security: authenticated,
  request: { body: jsonBody(named(teamService.createTeamInput, "CreateTeamRequest")) },
  responses: { 201: jsonResponse(TeamSchema, "The team"), ...problems("unauthenticated", "forbidden", "conflict") },
});
const getTeam = createRoute({
  method: "get",
  path: "/teams/{teamId}",
  tags,
  summary: "One team",
  security: authenticated,
  request: { params: teamParam },
  responses: { 200: jsonResponse(TeamSchema, "The team"), ...problems("unauthenticated", "not_found") },
});
const updateTeam = createRoute({
  method: "patch",
  path: "/teams/{teamId}",
  tags,
  summary: "Rename a team or change its slug (admins and owners)",
  security: authenticated,
  description: IF_MATCH,
  request: { params: teamParam, body: jsonBody(named(teamService.updateTeamInput, "UpdateTeamRequest")) },
  responses: {
    200: jsonResponse(TeamSchema, "The team, with its new ETag"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict", "version_conflict"),
  },
});
const deleteTeam = createRoute({
  method: "delete",
  path: "/teams/{teamId}",
  tags,
  summary: "Delete a team (owners only)",
  security: authenticated,
  description: IF_MATCH,
  request: { params: teamParam },
  responses: {
    204: { description: "Deleted" },
    ...problems("unauthenticated", "forbidden", "not_found", "version_conflict"),
  },
});
const listMembers = createRoute({
  method: "get",
  path: "/teams/{teamId}/members",
  tags,
  summary: "The team's members, with their names and emails",
  security: authenticated,
  request: { params: teamParam, query: memberQuery },
  responses: {
    200: jsonResponse(pageOf(MemberSchema), "A page of members"),
    ...problems("unauthenticated", "not_found"),
  },
});
const addMember = createRoute({
  method: "post",
  path: "/teams/{teamId}/members",
  tags,
  summary: "Add a person by email or user id (admins and owners; only owners add owners)",
  security: authenticated,
  request: { params: teamParam, body: jsonBody(named(teamService.addMemberInput, "AddMemberRequest")) },
  responses: {
    201: jsonResponse(MemberSchema, "The new member"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const updateMember = createRoute({
  method: "patch",
  path: "/teams/{teamId}/members/{userId}",
  tags,
  summary: "Change a member's role (owners manage owners; the last owner stays one)",
  security: authenticated,
  request: { params: memberParam, body: jsonBody(named(teamService.updateMemberInput, "UpdateMemberRequest")) },
  responses: {
    200: jsonResponse(MemberSchema, "The member"),
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const removeMember = createRoute({
  method: "delete",
  path: "/teams/{teamId}/members/{userId}",
  tags,
  summary: "Remove a member, or leave the team with your own id (the last owner cannot)",
  security: authenticated,
  request: { params: memberParam },
  responses: {
    204: { description: "Removed" },
    ...problems("unauthenticated", "forbidden", "not_found", "conflict"),
  },
});
const getSetting = createRoute({
  method: "get",
  path: "/teams/{teamId}/settings/{key}",
  tags,
  summary: "One team setting",
  security: authenticated,
  request: { params: settingParam },
  responses: { 200: jsonResponse(SettingSchema, "The setting"), ...problems("unauthenticated", "not_found") },
});
const putSetting = createRoute({
  method: "put",
  path: "/teams/{teamId}/settings/{key}",
  tags,
  summary: "Set a team setting to any JSON value (admins and owners)",
  security: authenticated,
  request: { params: settingParam, body: jsonBody(SettingRequestSchema) },
  responses: {
    200: jsonResponse(SettingSchema, "The setting"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});
const listAuditLogs = createRoute({
  method: "get",
  path: "/teams/{teamId}/audit-logs",
  tags,
  summary: "The team's audit trail, newest first (admins and owners)",
  security: authenticated,
  request: { params: teamParam, query: auditLogQuery },
  responses: {
    200: jsonResponse(pageOf(AuditLogSchema), "A page of audit rows"),
    ...problems("unauthenticated", "forbidden", "not_found"),
  },
});

export function teamsRoutes(deps: AppDependencies) {
  return router()
    .openapi(listTeams, async (c) => {
      const options = listOptions<typeof teams>(c.req.valid("query"), ["name", "slug", "createdAt"], "name");
      return c.json(await teamService.listTeams(serviceContext(c, deps), options), 200);
    })
    .openapi(createTeam, async (c) =>
      c.json(await teamService.createTeam(serviceContext(c, deps), c.req.valid("json")), 201),
    )
    .openapi(getTeam, async (c) => {
      const team = await teamService.getTeam(serviceContext(c, deps), c.req.valid("param").teamId);
      return c.json(team, 200, etagHeader(team));
    })
    .openapi(updateTeam, async (c) => {
      const ctx = serviceContext(c, deps);
      const options = { expectedVersion: expectedVersion(c) };
      const team = await teamService.updateTeam(ctx, c.req.valid("param").teamId, c.req.valid("json"), options);
      return c.json(team, 200, etagHeader(team));
    })
    .openapi(deleteTeam, async (c) => {
      const options = { expectedVersion: expectedVersion(c) };
      await teamService.deleteTeam(serviceContext(c, deps), c.req.valid("param").teamId, options);
      return c.body(null, 204);
    })
    .openapi(listMembers, async (c) => {
      const query = c.req.valid("query");
      const options = listOptions<typeof teamMembers>(query, ["createdAt", "role"], "createdAt");
      const page = await teamService.listMembers(serviceContext(c, deps), c.req.valid("param").teamId, {
        ...options,
        role: query.role,
      });
      return c.json(page, 200);
    })
    .openapi(addMember, async (c) =>
      c.json(
        await teamService.addMember(serviceContext(c, deps), c.req.valid("param").teamId, c.req.valid("json")),
        201,
      ),
    )
    .openapi(updateMember, async (c) => {
      const { teamId, userId } = c.req.valid("param");
      return c.json(await teamService.updateMember(serviceContext(c, deps), teamId, userId, c.req.valid("json")), 200);
    })
    .openapi(removeMember, async (c) => {
      const { teamId, userId } = c.req.valid("param");
      await teamService.removeMember(serviceContext(c, deps), teamId, userId);
      return c.body(null, 204);
    })
    .openapi(getSetting, async (c) => {
      const { teamId, key } = c.req.valid("param");
      return c.json(await teamService.getSetting(serviceContext(c, deps), teamId, key), 200);
    })
    .openapi(putSetting, async (c) => {
      const { teamId, key } = c.req.valid("param");
      return c.json(await teamService.putSetting(serviceContext(c, deps), teamId, key, c.req.valid("json")), 200);
    })
    .openapi(listAuditLogs, async (c) =>
      c.json(
        await teamService.listAuditLogs(serviceContext(c, deps), c.req.valid("param").teamId, c.req.valid("query")),
        200,
      ),
    );
}
