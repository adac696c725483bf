import assert from "node:assert/strict";
import { describe, it } from "node:test";

describe("the README's network table", () => {
  it("is the table rendered from staging's stack file", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const { stackTable } = await import("./network-table");
    const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const m = /<!-- network-table:staging -->\n([\s\S]*?)<!-- \/network-table:staging -->/.exec(readme);
    assert.ok(m, "README holds the marked table");
    assert.equal(m[1]!.trim(), stackTable("staging").trim(), "README's table is stale: paste `node --import tsx stacks/network-table.ts staging`");
  });
});
