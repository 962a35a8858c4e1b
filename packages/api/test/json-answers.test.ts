import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoString, withIsoDates } from "../src/respond.js";

describe("answers with their dates written first", () => {
  it("serializes exactly as JSON.stringify does, at any depth", () => {
    class Money {
      constructor(readonly micros: number) {}
      toJSON() {
        return `${this.micros}µ`;
      }
    }
    const bare = Object.create(null) as Record<string, unknown>;
    bare.at = new Date("2030-01-02T03:04:05.678Z");
    let deep: unknown = { at: new Date(0) };
    for (let i = 0; i < 8; i++) deep = { inner: deep, list: [new Date(i * 1000)] };
    const answer = {
      id: "t1",
      createdAt: new Date("2026-11-21T10:00:00.000Z"),
      dueAt: null,
      invalid: new Date(Number.NaN),
      tags: ["a", "b"],
      metadata: { nested: { at: new Date(1), text: "x", n: 1.5, yes: true, nothing: null } },
      tasks: [{ id: "k", updatedAt: new Date(2) }, { id: "l" }],
      data: [[new Date(3)], bare],
      money: new Money(5),
      missing: undefined,
      deep,
    };
    expect(JSON.stringify(withIsoDates(answer, 0))).toBe(JSON.stringify(answer));
    expect(withIsoDates(answer, 0)).toMatchObject({ createdAt: "2026-11-21T10:00:00.000Z", invalid: null });
    for (const value of [null, 1, "text", true, [], {}, new Date(7)]) {
      expect(JSON.stringify(withIsoDates(value, 0))).toBe(JSON.stringify(value));
    }
  });

  it("writes every date as toISOString does, across and beyond the four-digit years", () => {
    const edges = [
      -62_167_219_200_001, -62_167_219_200_000, -1, 0, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000,
    ];
    for (const ms of edges) expect(isoString(new Date(ms)), String(ms)).toBe(new Date(ms).toISOString());
    expect(isoString(new Date(Number.NaN))).toBeNull();
    fc.assert(
      fc.property(fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), (ms) => {
        expect(isoString(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: -62_167_219_200_000, max: 253_402_300_799_999 }), (ms) => {
        expect(isoString(new Date(ms))).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 50_000 },
    );
  });
});
