// test-lane: control-plane
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { GeneratedSecret } from "../components/runtime/generated-secret";
import { assertReachable, baselineSpec, baselineTree, unlistedSteps, upFromBaseline } from "./support/engine-baseline";
import { ROOT } from "./support/dataplane";
import { plannedChanges, testWorkspace } from "./support/engine";

/** A probe program: a component with a dynamic child, and a secret read from the stack's config. */
const PROBE = `import * as pulumi from "@pulumi/pulumi";
import { GeneratedSecret } from "../components/runtime/generated-secret";
export function main() {
  const parent = new pulumi.ComponentResource("coexist:test:Probe", "probe", {});
  const key = new GeneratedSecret("key", { bytes: 16 }, { parent });
  return { keyLength: key.value.apply((v) => v.length), probe: new pulumi.Config("coexist").requireSecret("probe") };
}
`;

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

  it("runs the baseline's program in its own process on the test's backend; HEAD's preview reports a moved child and nothing else", { timeout: 300_000 }, async () => {
    // The baseline's tree with a probe program in place of stacks/program.ts: the same child
    // process, SDK, stack file, passphrase and dynamic-provider host as the engine tests, in seconds.
    const tree = baselineTree();
    fs.writeFileSync(path.join(tree.dir, "stacks", "program.ts"), PROBE);
    const ws = await testWorkspace();
    try {
      const program = (child: string) => async () => {
        const parent = new pulumi.ComponentResource("coexist:test:Probe", "probe", {});
        const key = new GeneratedSecret(child, { bytes: 16 }, { parent });
        return { keyLength: key.value.apply((v) => v.length), probe: new pulumi.Config("coexist").requireSecret("probe") };
      };
      const stack = await ws.stack("probe", program("key"));
      await stack.setAllConfig({ "coexist:target": { value: "kubernetes" }, "coexist:probe": { value: "from-the-parent", secret: true } });
      const run = await upFromBaseline(ws, "probe", { tree });
      assert.equal(run.result, "succeeded");
      assert.deepEqual(run.resourceChanges, { create: 3 }, "the stack, the component and its child");
      const outputs = await stack.outputs();
      assert.equal(outputs.probe?.value, "from-the-parent", "the baseline read the config and secret the parent set");
      assert.equal(outputs.probe?.secret, true);
      assert.equal(outputs.keyLength?.value, 22);
      assert.deepEqual(Object.fromEntries(await plannedChanges(stack)), {}, "the same program at HEAD: no change");
      const moved = await ws.stack("probe", program("renamed-key"));
      const planned = [...(await plannedChanges(moved)).keys()].sort();
      assert.deepEqual(planned, ["create coexist:test:Probe$pulumi-nodejs:dynamic/coexist:GeneratedSecret renamed-key", "delete coexist:test:Probe$pulumi-nodejs:dynamic/coexist:GeneratedSecret key"]);
      await stack.destroy();
    } finally {
      ws.dispose();
      tree.dispose();
    }
  });

  it("gives a baseline with another lockfile its own node_modules (npm ci once, cached by the lockfile's hash)", { timeout: 600_000 }, () => {
    // d40e6a5: the last commit on @pulumi/pulumi 3.270.0, before c3b6a2f moved it to 3.276.0.
    const tree = baselineTree({ commit: "d40e6a5416e347aaaaca7b55c32595c5a9dee7e8", why: "a lockfile unlike HEAD's" });
    try {
      assert.equal(tree.sharedModules, false);
      const modules = fs.realpathSync(path.join(tree.dir, "node_modules"));
      assert.notEqual(modules, fs.realpathSync(path.join(ROOT, "node_modules")));
      assert.equal((JSON.parse(fs.readFileSync(path.join(modules, "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string }).version, "3.270.0");
    } finally {
      tree.dispose();
    }
  });

  it("lets through only the creates and input updates stacks/graph/changes.ts lists, never a replace or a delete", () => {
    const P = "coexist:index:Platform";
    const changes = [
      { stacks: ["local"], urn: `urn:pulumi:local::coexist::${P}$kubernetes:batch/v1:Job::job`, added: true, why: "t" },
      { stacks: ["local"], urn: `urn:pulumi:local::coexist::${P}$kubernetes:networking.k8s.io/v1:NetworkPolicy::np`, inputs: ["spec.ingress.3"], why: "t" },
    ];
    const step = (op: string, type: string, name: string, paths: string[] = []) => [`${op} ${P}$${type} ${name}`, paths] as [string, string[]];
    assert.deepEqual(unlistedSteps("local", new Map([step("create", "kubernetes:batch/v1:Job", "job"), step("update", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", ["spec.ingress[3].ports[0]"])]), changes), []);
    assert.deepEqual(unlistedSteps("staging", new Map([step("create", "kubernetes:batch/v1:Job", "job")]), changes).length, 1, "listed for another stack");
    assert.deepEqual(unlistedSteps("local", new Map([step("replace", "kubernetes:batch/v1:Job", "job")]), changes).length, 1, "a replace is never listed");
    assert.deepEqual(unlistedSteps("local", new Map([step("update", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "np", ["spec.egress[0]"])]), changes).length, 1, "a path not listed");
    assert.deepEqual(unlistedSteps("local", new Map([step("delete", "kubernetes:batch/v1:Job", "other")]), changes).length, 1);
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
