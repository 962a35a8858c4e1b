import { describe, expect, it } from "vitest";
import { changedFields } from "../src/index.js";

describe("changedFields, what an audit row keeps of a change", () => {
  const created = new Date("2026-01-02T03:04:05.678Z");
  const row = {
    id: "r1",
    name: "Ada",
    note: null,
    tags: ["a"],
    passwordHash: "secret",
    tokenHash: "secret too",
    version: 3,
    createdAt: created,
    updatedAt: created,
    unset: undefined,
  };

  it("keeps a created or removed row whole, without secrets, bookkeeping or unset fields", () => {
    const whole = { id: "r1", name: "Ada", note: null, tags: ["a"], createdAt: created };
    expect(changedFields(null, row)).toEqual({ after: whole });
    expect(changedFields(row, undefined)).toEqual({ before: whole });
    expect(Object.keys(changedFields(undefined, row).after ?? {})).toEqual(Object.keys(whole));
    expect(changedFields(null, null)).toEqual({});
  });

  it("keeps only the fields that differ between two states, by value", () => {
    const after = {
      ...row,
      name: "Ada L.",
      tags: ["a"],
      createdAt: new Date(created.getTime()),
      note: "now set",
      passwordHash: "changed",
      version: 4,
      updatedAt: new Date(),
    };
    expect(changedFields(row, after)).toEqual({
      before: { name: "Ada", note: null },
      after: { name: "Ada L.", note: "now set" },
    });
    expect(changedFields(row, { ...row, removed: undefined, added: 1 })).toEqual({
      before: { added: null },
      after: { added: 1 },
    });
  });
});
