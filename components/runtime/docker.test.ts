import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { dockerEnv } from "./docker";

// `isSecret` is on every Output at runtime but not in its public typings.
const isSecret = (v: pulumi.Input<string>): Promise<boolean> =>
  pulumi.Output.isInstance(v) ? (v as unknown as { isSecret: Promise<boolean> }).isSecret : Promise.resolve(false);
const valueOf = (v: pulumi.Input<string>): Promise<string> =>
  new Promise((resolve) => (pulumi.Output.isInstance(v) ? v.apply((x) => resolve(x)) : resolve(String(v))));

describe("dockerEnv", () => {
  it("keeps plain settings readable and makes each secret entry a secret of its own", async () => {
    const env = dockerEnv({ env: { MODE: "dev" }, secretEnv: { PASSWORD: pulumi.output("hunter2") } }) ?? [];
    assert.equal(env.length, 2);
    assert.equal(await isSecret(env[0]), false, "plain entries stay visible in a preview");
    assert.equal(await isSecret(env[1]), true, "secret entries are masked");
  });

  it("renders KEY=value entries", async () => {
    const env = dockerEnv({ env: { A: "1" }, secretEnv: { B: pulumi.output("2") } }) ?? [];
    assert.deepEqual(await Promise.all(env.map(valueOf)), ["A=1", "B=2"]);
  });

  it("sets nothing when there is nothing to set", () => {
    assert.equal(dockerEnv({}), undefined);
  });
});
