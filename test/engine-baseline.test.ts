import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { assertReachable, baselineSpec, baselineTree } from "./support/engine-baseline";
import { ROOT } from "./support/dataplane";

/**
 * The baseline commit the engine tests deploy from before previewing HEAD (issue 15): its file is
 * valid, its tree has the program and the node_modules to run it, and a clone without the commit
 * (CI's shallow checkout) fails with the fix named rather than with a git error.
 */
describe("the engine baseline commit", () => {
  it("is a full commit id reachable in this clone, whose tree has a program and its node_modules", () => {
    const spec = baselineSpec();
    assertReachable(spec.commit);
    const tree = baselineTree(spec);
    try {
      assert.ok(fs.existsSync(path.join(tree.dir, "stacks", "program.ts")), "stacks/program.ts in the baseline's tree");
      assert.ok(fs.existsSync(path.join(tree.dir, "Pulumi.yaml")));
      assert.ok(fs.existsSync(path.join(tree.dir, "node_modules", "@pulumi", "pulumi", "package.json")), "the baseline's @pulumi/pulumi");
      const lockEqual = spawnSync("git", ["show", `${spec.commit}:package-lock.json`], { cwd: ROOT, encoding: "utf8" }).stdout === fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8");
      assert.equal(tree.sharedModules, lockEqual, "HEAD's node_modules exactly when the lockfiles are equal");
    } finally {
      tree.dispose();
    }
    assert.equal(fs.existsSync(tree.dir), false);
  });

  it("rejects an abbreviated commit id, naming the fix", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-baseline-spec-"));
    try {
      fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify({ commit: "fd03ad8", why: "" }));
      assert.throws(() => baselineSpec(path.join(dir, "b.json")), /full 40-hex commit id.*fix: git rev-parse/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("in a shallow clone without the commit, fails naming git fetch --unshallow", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-shallow-"));
    try {
      const clone = spawnSync("git", ["clone", "-q", "--depth", "1", `file://${ROOT}`, dir], { encoding: "utf8" });
      assert.equal(clone.status, 0, clone.stderr);
      const head = spawnSync("git", ["rev-parse", "HEAD"], { cwd: dir, encoding: "utf8" }).stdout.trim();
      const { commit } = baselineSpec();
      if (commit === head) return assert.doesNotThrow(() => assertReachable(commit, dir));
      assert.throws(() => assertReachable(commit, dir), new RegExp(`${commit}.*not in this clone, a shallow one; fix: git fetch --unshallow`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
