import { readFileSync } from "node:fs";
import { type TestDatabase, testDialects } from "@groundwork/db/testing";
import { afterEach, describe, expect, it } from "vitest";
import { quickstart } from "../examples/quickstart.js";

describe("the README's quick start", () => {
  it("is the example file, word for word", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const example = readFileSync(new URL("../examples/quickstart.ts", import.meta.url), "utf8");
    expect(readme).toContain(example.trim());
  });

  describe.each(testDialects())("runs on $name", (dialect) => {
    let testDb: TestDatabase;
    afterEach(() => testDb?.drop());

    it("and does what it says", async () => {
      testDb = await dialect.create();
      expect(await quickstart(testDb.url)).toEqual({
        email: "ada@example.com",
        first: "Bernoulli numbers",
        published: "published",
        version: 2,
        conflict: ["email"],
      });
    });
  });
});
