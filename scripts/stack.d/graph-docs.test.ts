import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

const ROOT = path.resolve(__dirname, "..", "..");

/**
 * docs/graph-{dev,prod}.{mmd,svg} are regenerated from the program under mocks and must match what
 * is committed; and the prod picture draws every resource the program registers, nothing more.
 * Each stack runs in its own process (mocks are global to the Pulumi runtime).
 */
for (const stack of ["dev", "prod"]) {
  test(`docs/graph-${stack}: not stale, every registered resource drawn once, none invented`, { timeout: 120_000 }, () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "graph-docs.ts"), stack, "--check"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, `${r.stderr}${r.stdout}`);
    const list = spawnSync(process.execPath, ["--import", "tsx", "-e", `require(${JSON.stringify(path.join(__dirname, "graph-docs.ts"))}).mockResources(${JSON.stringify(stack)}).then((rs) => { console.log(JSON.stringify(rs.map((x) => x.urn.slice(x.urn.lastIndexOf("::") + 2)))); process.exit(0); })`], { cwd: ROOT, encoding: "utf8" });
    assert.equal(list.status, 0, list.stderr);
    const registered = (JSON.parse(list.stdout.trim().split("\n").at(-1)!) as string[]).sort();
    const mmd = fs.readFileSync(path.join(ROOT, "docs", `graph-${stack}.mmd`), "utf8");
    const drawn = [...mmd.matchAll(/^\s+r\d+\["([^<]+)<br\/>/gm)].map((m) => m[1]!).sort();
    assert.deepEqual(drawn, registered);
  });
}
