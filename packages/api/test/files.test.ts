import { ApiError, type Client, unwrap } from "@groundwork/client";
import { testDialects } from "@groundwork/db/testing";
import { auditLogs, fileAnalyses, files, maxFileContentLength, selectedFiles } from "@groundwork/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Person, startTestApi, type TestApi } from "./harness.js";

type FileBody = {
  path: string;
  name?: string;
  extension?: string | null;
  size?: number;
  checksum: string;
  contentType?: string | null;
  summary?: string | null;
  content?: string | null;
};
type AnalysisData = string | number | boolean | unknown[] | Record<string, unknown>;
type ListQuery = { path?: string; extension?: string; sort?: string; limit?: string; cursor?: string; count?: "true" };

describe.each(testDialects())("files, analyses and selected files over HTTP on $name", (dialect) => {
  let api: TestApi;
  let owner: Person;
  let member: Person;
  let viewer: Person;
  let outsider: Person;

  beforeAll(async () => {
    api = await startTestApi(dialect);
    [owner, member, viewer, outsider] = await Promise.all([
      api.person("Owner"),
      api.person("Member"),
      api.person("Viewer"),
      api.person("Outsider"),
    ]);
  });
  afterAll(() => api?.close());

  const expectProblem = async (call: Promise<unknown>, status: number, code: string) => {
    const error = await call.then(
      () => undefined,
      (e) => e,
    );
    expect(error, `expected ${status} ${code}`).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(status);
    expect((error as ApiError).code).toBe(code);
    return error as ApiError;
  };

  /** The file routes as `client` calls them. */
  const as = (p: { client: Client }) => {
    const v1 = p.client.api.v1;
    const analysis = v1.files[":id"].analyses[":kind"];
    const selection = v1.projects[":id"]["selected-files"];
    return {
      files: (projectId: string, query: ListQuery = {}) =>
        unwrap(v1.projects[":id"].files.$get({ param: { id: projectId }, query })),
      upsert: (projectId: string, json: FileBody) =>
        unwrap(v1.projects[":id"].files.$post({ param: { id: projectId }, json })),
      upsertRaw: (projectId: string, json: FileBody) =>
        v1.projects[":id"].files.$post({ param: { id: projectId }, json }),
      get: (id: string) => unwrap(v1.files[":id"].$get({ param: { id } })),
      patch: (id: string, json: Partial<FileBody>) => unwrap(v1.files[":id"].$patch({ param: { id }, json })),
      delete: (id: string) => unwrap(v1.files[":id"].$delete({ param: { id } })),
      analyses: (id: string) => unwrap(v1.files[":id"].analyses.$get({ param: { id }, query: {} })),
      analysis: (id: string, kind: string) => unwrap(analysis.$get({ param: { id, kind } })),
      putAnalysis: (id: string, kind: string, json: { checksum: string; version: number; data: AnalysisData }) =>
        unwrap(analysis.$put({ param: { id, kind }, json })),
      deleteAnalysis: (id: string, kind: string) => unwrap(analysis.$delete({ param: { id, kind } })),
      selected: (projectId: string) => unwrap(selection.$get({ param: { id: projectId }, query: {} })),
      select: (projectId: string, json: { fileId: string; reason?: string | null }) =>
        unwrap(selection.$post({ param: { id: projectId }, json })),
      selectRaw: (projectId: string, json: { fileId: string; reason?: string | null }) =>
        selection.$post({ param: { id: projectId }, json }),
      unselect: (projectId: string, fileId: string) =>
        unwrap(selection.$delete({ param: { id: projectId }, query: { fileId } })),
    };
  };

  /** A team owned by `owner` with member and viewer, and a project in it (made directly: not our routes). */
  const freshProject = () =>
    api.teamProject(owner, [
      [member, "member"],
      [viewer, "viewer"],
    ]);

  const actions = async (teamId: string) =>
    (await api.db.repo(auditLogs).list({ where: { teamId }, sort: "createdAt", limit: 1000 })).data.map(
      (row) => row.action,
    );

  it("creates a file, upserts it by path, reads, changes and deletes it, with audit rows", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const res = await m.upsertRaw(projectId, { path: "src/App.TS", checksum: "a1", content: "héllo" });
    expect(res.status).toBe(201);
    const file = await res.json();
    expect(file).toMatchObject({
      projectId,
      path: "src/App.TS",
      name: "App.TS",
      extension: "ts",
      size: 6, // bytes, not characters
      checksum: "a1",
      content: "héllo",
      summary: null,
    });

    // The same path again: the same file, its fields replaced.
    const again = await m.upsertRaw(projectId, {
      path: "src/App.TS",
      checksum: "a2",
      size: 42,
      summary: "The app",
      contentType: "text/typescript",
    });
    expect(again.status).toBe(200);
    const replaced = await again.json();
    expect(replaced).toMatchObject({ id: file.id, checksum: "a2", size: 42, summary: "The app", content: null });
    // Unchanged: nothing recorded.
    const same = await m.upsertRaw(projectId, {
      path: "src/App.TS",
      checksum: "a2",
      size: 42,
      summary: "The app",
      contentType: "text/typescript",
    });
    expect(same.status).toBe(200);

    expect(await as(viewer).get(file.id)).toMatchObject({ id: file.id, checksum: "a2" });
    const patched = await m.patch(file.id, { path: "lib/main.rs", content: "fn main() {}" });
    expect(patched).toMatchObject({ path: "lib/main.rs", name: "main.rs", extension: "rs", size: 12, checksum: "a2" });
    // Another file's path is taken.
    const other = await m.upsert(projectId, { path: "README", checksum: "r" });
    expect(other).toMatchObject({ name: "README", extension: null, size: 0 });
    await expectProblem(m.patch(other.id, { path: "lib/main.rs" }), 409, "conflict");
    expect(await m.delete(file.id)).toBeUndefined();
    await m.delete(other.id);
    await expectProblem(m.get(file.id), 404, "not_found");
    expect((await m.files(projectId)).data).toEqual([]);
    expect((await actions(teamId)).filter((a) => a.startsWith("file."))).toEqual([
      "file.created",
      "file.updated",
      "file.updated",
      "file.created",
      "file.deleted",
      "file.deleted",
    ]);
  });

  it("replaces the whole record on a second POST of a path (as its OpenAPI description says); PATCH merges", async () => {
    const { projectId } = await freshProject();
    const m = as(member);
    const full = {
      path: "docs/guide.md",
      checksum: "abc",
      summary: "How to start",
      contentType: "text/markdown",
      content: "# Guide",
    };
    const file = await m.upsert(projectId, full);
    expect(file).toMatchObject({ name: "guide.md", extension: "md", size: 7, summary: "How to start" });

    // What a second POST leaves out described the file as it was: cleared, or derived again.
    const replaced = await m.upsert(projectId, { path: "docs/guide.md", checksum: "def" });
    expect(replaced).toMatchObject({
      id: file.id,
      checksum: "def",
      summary: null,
      contentType: null,
      content: null,
      size: 0,
      name: "guide.md",
      extension: "md",
    });
    expect(await m.get(file.id)).toEqual(replaced);

    // PATCH changes the fields given and keeps the others.
    await m.upsert(projectId, full);
    const patched = await m.patch(file.id, { checksum: "ghi" });
    expect(patched).toMatchObject({ checksum: "ghi", summary: "How to start", content: "# Guide", size: 7 });

    const doc = (await (await fetch(`${api.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { description?: string }>>;
    };
    const description = doc.paths["/api/v1/projects/{id}/files"]?.post?.description ?? "";
    expect(description).toContain("replaces the whole record");
    expect(description).toContain("PATCH /files/{id}");
  });

  it("lists without content, filters by path prefix and extension, sorts and pages", async () => {
    const { projectId } = await freshProject();
    const m = as(member);
    for (const [path, size] of [
      ["src/a.ts", 30],
      ["src/b.js", 10],
      ["src/lib/c.ts", 20],
      ["docs/readme.md", 40],
      ["Makefile", 5],
      ["src_old/d.ts", 1],
      ["SRC/e.ts", 1],
      ["100%/f.ts", 1],
      ["100x/g.ts", 1],
    ] as const) {
      await m.upsert(projectId, { path, checksum: `c-${path}`, size, content: "x" });
    }
    const paths = async (query: ListQuery) => (await m.files(projectId, query)).data.map((f) => f.path);
    const all = await m.files(projectId);
    expect(all.data.every((f) => !("content" in f))).toBe(true);
    expect(await paths({ path: "src" })).toEqual(["src/a.ts", "src/b.js", "src/lib/c.ts", "src_old/d.ts"]);
    // A prefix is taken literally: case counts, and % and _ are characters like any other.
    expect(await paths({ path: "src/" })).toEqual(["src/a.ts", "src/b.js", "src/lib/c.ts"]);
    expect(await paths({ path: "src_" })).toEqual(["src_old/d.ts"]);
    expect(await paths({ path: "SRC" })).toEqual(["SRC/e.ts"]);
    expect(await paths({ path: "100%" })).toEqual(["100%/f.ts"]);
    expect(await paths({ path: "src/lib" })).toEqual(["src/lib/c.ts"]);
    for (const extra of ["src_old/d.ts", "SRC/e.ts", "100%/f.ts", "100x/g.ts"]) {
      const [file] = (await m.files(projectId, { path: extra })).data;
      await m.delete(file?.id ?? "");
    }
    expect(await paths({})).toEqual(["Makefile", "docs/readme.md", "src/a.ts", "src/b.js", "src/lib/c.ts"]);
    expect(await paths({ extension: "ts" })).toEqual(["src/a.ts", "src/lib/c.ts"]);
    expect(await paths({ extension: ".md" })).toEqual(["docs/readme.md"]);
    expect(await paths({ sort: "-size" })).toEqual([
      "docs/readme.md",
      "src/a.ts",
      "src/lib/c.ts",
      "src/b.js",
      "Makefile",
    ]);
    const first = await m.files(projectId, { limit: "2", count: "true" });
    expect(first.total).toBe(5);
    const seen = [...first.data];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await m.files(projectId, { limit: "2", cursor });
      seen.push(...page.data);
      cursor = page.nextCursor;
    }
    expect(seen.map((f) => f.path)).toEqual(await paths({}));
    await expectProblem(m.files(projectId, { sort: "content" }), 400, "validation_failed");
  });

  it("says a path whose last segment is too long for a name is the path's fault, unless a name is given", async () => {
    const { projectId } = await freshProject();
    const m = as(member);
    const long = `docs/${"n".repeat(256)}.md`;
    const created = await expectProblem(m.upsert(projectId, { path: long, checksum: "l" }), 400, "validation_failed");
    expect(created.problem.errors?.map((e) => e.path)).toEqual(["body.path"]);
    const named = await m.upsert(projectId, { path: long, name: "long.md", checksum: "l" });
    expect(named).toMatchObject({ path: long, name: "long.md", extension: "md" });
    const file = await m.upsert(projectId, { path: "docs/short.md", checksum: "s" });
    const moved = await expectProblem(m.patch(file.id, { path: `${long}x` }), 400, "validation_failed");
    expect(moved.problem.errors?.map((e) => e.path)).toEqual(["body.path"]);
    expect(await m.get(file.id)).toMatchObject({ path: "docs/short.md", name: "short.md" });
    expect((await m.files(projectId)).data.map((f) => f.path).sort()).toEqual([long, "docs/short.md"].sort());
  });

  it("takes content up to its cap with the default body limit; one character more is a validation error", async () => {
    const { teamId, projectId } = await freshProject();
    const client = api.client(member.accessToken);
    const at = (content: string) =>
      unwrap(
        client.api.v1.projects[":id"].files.$post({
          param: { id: projectId },
          json: { path: "big.txt", checksum: "b", content },
        }),
      );
    const error = await expectProblem(at("x".repeat(maxFileContentLength + 1)), 400, "validation_failed");
    expect(error.problem.errors?.map((e) => e.path)).toEqual(["body.content"]);
    const file = await at("x".repeat(maxFileContentLength));
    expect(file.size).toBe(maxFileContentLength);
    // The longest content in characters that JSON writes as six bytes each, with room to spare.
    const control = "\u0001".repeat(maxFileContentLength);
    const patched = await unwrap(
      client.api.v1.files[":id"].$patch({ param: { id: file.id }, json: { content: control } }),
    );
    expect(patched.content).toBe(control);
    // Other routes keep the 1 MiB limit, and a file's body has a limit too.
    const tooBig = await fetch(`${api.url}/api/v1/projects/${projectId}/files`, {
      method: "POST",
      headers: { authorization: `Bearer ${member.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ path: "huge.txt", checksum: "h", content: "x".repeat(9 * 1024 * 1024) }),
    });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { detail: string }).detail).toBe("the body may have at most 8388608 bytes");
    const prompt = await fetch(`${api.url}/api/v1/teams/${teamId}/prompts`, {
      method: "POST",
      headers: { authorization: `Bearer ${member.accessToken}`, "content-type": "application/json" },
      body: JSON.stringify({ title: "Big", content: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(prompt.status).toBe(413);
    expect(await api.db.repo(files).count({ projectId })).toBe(1);
  });

  it("treats an analysis of another checksum as a miss, and lists it as stale", async () => {
    const { teamId, projectId } = await freshProject();
    const m = as(member);
    const file = await m.upsert(projectId, { path: "a.ts", checksum: "A" });
    await expectProblem(m.analysis(file.id, "symbols"), 404, "not_found");
    const put = await m.putAnalysis(file.id, "symbols", { checksum: "A", version: 2, data: { names: ["x"] } });
    expect(put).toMatchObject({ fileId: file.id, kind: "symbols", version: 2, checksum: "A", fresh: true });
    expect(put).not.toHaveProperty("analysisVersion");
    expect(await as(viewer).analysis(file.id, "symbols")).toMatchObject({ data: { names: ["x"] }, fresh: true });

    await m.patch(file.id, { checksum: "B" });
    await expectProblem(m.analysis(file.id, "symbols"), 404, "not_found");
    expect((await m.analyses(file.id)).data).toMatchObject([{ kind: "symbols", checksum: "A", fresh: false }]);

    const again = await m.putAnalysis(file.id, "symbols", { checksum: "B", version: 3, data: ["y"] });
    expect(again).toMatchObject({ id: put.id, checksum: "B", version: 3, fresh: true });
    expect(await m.analysis(file.id, "symbols")).toMatchObject({ data: ["y"], fresh: true });

    // An upsert with a new checksum makes it stale too.
    await m.upsert(projectId, { path: "a.ts", checksum: "C" });
    await expectProblem(m.analysis(file.id, "symbols"), 404, "not_found");
    await m.putAnalysis(file.id, "summary", { checksum: "C", version: 1, data: "short" });
    expect((await m.analyses(file.id)).data.map((a) => [a.kind, a.fresh])).toEqual([
      ["summary", true],
      ["symbols", false],
    ]);

    // A miss is named as the thing it is.
    expect((await expectProblem(m.analysis(file.id, "symbols"), 404, "not_found")).problem.detail).toBe(
      "no such file analysis",
    );
    // Only members and above delete analyses; a stale one can be deleted too.
    await expectProblem(as(viewer).deleteAnalysis(file.id, "symbols"), 403, "forbidden");
    await expectProblem(as(viewer).putAnalysis(file.id, "x", { checksum: "C", version: 1, data: 1 }), 403, "forbidden");
    expect(await m.deleteAnalysis(file.id, "symbols")).toBeUndefined();
    const gone = await expectProblem(m.deleteAnalysis(file.id, "symbols"), 404, "not_found");
    expect(gone.problem.detail).toBe("no such file analysis");
    await expectProblem(m.analysis(file.id, "bad kind!"), 400, "validation_failed");

    // Deleting the file takes its analyses with it.
    await m.delete(file.id);
    expect(await api.db.repo(fileAnalyses).count({ fileId: file.id })).toBe(0);
    expect(await actions(teamId)).toEqual(expect.arrayContaining(["file_analysis.put", "file_analysis.deleted"]));
  });

  it("selects files idempotently, lists them with path and name, and unselects by ?fileId", async () => {
    const { teamId, projectId } = await freshProject();
    const other = await freshProject();
    const m = as(member);
    const a = await m.upsert(projectId, { path: "src/a.ts", checksum: "1" });
    const b = await m.upsert(projectId, { path: "src/b.ts", checksum: "2" });
    const foreign = await as(owner).upsert(other.projectId, { path: "x.ts", checksum: "3" });

    const first = await m.selectRaw(projectId, { fileId: a.id, reason: "entry point" });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ fileId: a.id, reason: "entry point", selectedByUserId: member.id });
    const again = await m.selectRaw(projectId, { fileId: a.id, reason: "the entry point" });
    expect(again.status).toBe(200);
    await m.select(projectId, { fileId: b.id });
    await expectProblem(m.select(projectId, { fileId: foreign.id }), 400, "validation_failed");

    const listed = await as(viewer).selected(projectId);
    expect(listed.data).toMatchObject([
      { fileId: a.id, path: "src/a.ts", name: "a.ts", reason: "the entry point" },
      { fileId: b.id, path: "src/b.ts", name: "b.ts", reason: null },
    ]);
    expect(await m.unselect(projectId, a.id)).toBeUndefined();
    await expectProblem(m.unselect(projectId, a.id), 404, "not_found");
    // Deleting a file takes it out of the selection.
    await m.delete(b.id);
    expect((await m.selected(projectId)).data).toEqual([]);
    expect(await api.db.repo(selectedFiles).count({ projectId })).toBe(0);
    expect((await actions(teamId)).filter((x) => x.includes("select"))).toEqual([
      "file.selected",
      "file.selection_updated",
      "file.selected",
      "file.unselected",
    ]);
  });

  it("lets viewers read but not write", async () => {
    const { projectId } = await freshProject();
    const file = await as(member).upsert(projectId, { path: "a.ts", checksum: "1" });
    const v = as(viewer);
    expect((await v.files(projectId)).data).toHaveLength(1);
    expect((await v.get(file.id)).id).toBe(file.id);
    expect((await v.analyses(file.id)).data).toEqual([]);
    expect((await v.selected(projectId)).data).toEqual([]);
    await expectProblem(v.upsert(projectId, { path: "b.ts", checksum: "2" }), 403, "forbidden");
    await expectProblem(v.patch(file.id, { summary: "x" }), 403, "forbidden");
    await expectProblem(v.delete(file.id), 403, "forbidden");
    await expectProblem(v.select(projectId, { fileId: file.id }), 403, "forbidden");
    await as(member).select(projectId, { fileId: file.id });
    await expectProblem(v.unselect(projectId, file.id), 403, "forbidden");
  });

  it("answers 404, never 403, for every file route from another team", async () => {
    const { projectId } = await freshProject();
    const m = as(member);
    const file = await m.upsert(projectId, { path: "a.ts", checksum: "1" });
    await m.putAnalysis(file.id, "k", { checksum: "1", version: 1, data: {} });
    await m.select(projectId, { fileId: file.id });
    const o = as(outsider);
    const calls: (() => Promise<unknown>)[] = [
      () => o.files(projectId),
      () => o.upsert(projectId, { path: "b.ts", checksum: "2" }),
      () => o.get(file.id),
      () => o.patch(file.id, { summary: "x" }),
      () => o.delete(file.id),
      () => o.analyses(file.id),
      () => o.analysis(file.id, "k"),
      () => o.putAnalysis(file.id, "k", { checksum: "1", version: 1, data: {} }),
      () => o.deleteAnalysis(file.id, "k"),
      () => o.selected(projectId),
      () => o.select(projectId, { fileId: file.id }),
      () => o.unselect(projectId, file.id),
    ];
    for (const call of calls) await expectProblem(call(), 404, "not_found");
    // Nothing changed.
    expect(await m.get(file.id)).toMatchObject({ summary: null });
    expect((await m.analyses(file.id)).data).toHaveLength(1);
    expect((await m.selected(projectId)).data).toHaveLength(1);
  });
});
