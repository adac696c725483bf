import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse } from "yaml";
import { renderKongConfig } from "../components/kong/render";
import { generateKongCredentials } from "../stacks/kong-credentials";
import { readDataplaneEnv } from "../scripts/stack.d/local";
import { plannedChanges, testWorkspace, TestWorkspace } from "./support/engine";
import { namespaceExists, objectsIn } from "./support/kube";

/**
 * Two staging stacks side by side on one cluster (the data plane's API server), each with its own
 * state and namespace, both applying the same CRDs: neither disturbs the other, and destroying one
 * leaves the other whole. The operators' charts cannot be fetched here (no internet), so both run
 * with operators: skip, as several stacks on one cluster do (the operators installed once); the
 * per-stack install's namespaced values are checked by the mock tests.
 */
describe("two stacks on one cluster", () => {
  const env = readDataplaneEnv();
  const file = (parse(fs.readFileSync(path.join(__dirname, "..", "stacks", "Pulumi.staging.yaml"), "utf8")) as { config: Record<string, unknown> }).config;
  const id = randomBytes(3).toString("hex");
  const namespaces = [`coexist-a-${id}`, `coexist-b-${id}`];
  const ws: TestWorkspace[] = [];
  const stacks: Stack[] = [];
  const timings: Record<string, number> = {};
  const time = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      timings[label] = Date.now() - t;
    }
  };

  before(async () => {
    const { main } = await import("../stacks/program");
    for (const namespace of namespaces) {
      const w = await testWorkspace({ KUBECONFIG: env.KUBECONFIG }, { kubernetes: true });
      ws.push(w);
      const s = await w.stack("staging", async () => main());
      const config: Record<string, unknown> = {
        ...file,
        "coexist:protect": false,
        "coexist:kubernetes": { ...(file["coexist:kubernetes"] as object), namespace, operators: "skip", crds: "apply", awaitOperators: false, publicServiceType: "ClusterIP" },
      };
      await s.setAllConfig({
        ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { value: typeof v === "string" ? v : JSON.stringify(v) }])),
        "coexist:debeziumPassword": { value: randomBytes(18).toString("base64url"), secret: true },
        "coexist:mongodbPassword": { value: randomBytes(18).toString("base64url"), secret: true },
        "coexist:kongCredentials": { value: JSON.stringify(generateKongCredentials(renderKongConfig("staging").secretVariables)), secret: true },
      });
      stacks.push(s);
    }
  });

  after(async () => {
    for (const s of stacks) await s.destroy().catch(() => undefined);
    for (const w of ws) w.dispose();
    process.stderr.write(`[engine-two-stacks] timings (ms): ${JSON.stringify(timings)}\n`);
  });

  it("deploys both, each into its own namespace", async () => {
    for (const [i, s] of stacks.entries()) assert.equal((await time(`up ${i}`, () => s.up())).summary.result, "succeeded");
    const [a, b] = await Promise.all(namespaces.map((n) => objectsIn(env, n)));
    for (const objects of [a!, b!]) assert.ok(objects.includes("deployment.apps/sync") && objects.includes("kafka.kafka.strimzi.io/kafka"), objects.join(", "));
    assert.equal(a!.length, b!.length, "the same objects in each namespace");
  });

  it("the second stack's up changed nothing of the first's (CRDs included)", async () => {
    assert.deepEqual(Object.fromEntries(await time("preview a", () => plannedChanges(stacks[0]!))), {});
  });

  it("destroying the first leaves the second whole, with nothing to change", async () => {
    const before = await objectsIn(env, namespaces[1]!);
    assert.equal((await time("destroy a", () => stacks[0]!.destroy())).summary.result, "succeeded");
    assert.equal(await namespaceExists(env, namespaces[0]!), false);
    assert.deepEqual(await objectsIn(env, namespaces[1]!), before);
    assert.deepEqual(Object.fromEntries(await time("preview b", () => plannedChanges(stacks[1]!))), {});
    assert.equal((await time("destroy b", () => stacks[1]!.destroy())).summary.result, "succeeded");
    assert.equal(await namespaceExists(env, namespaces[1]!), false);
  });
});
