import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ENVIRONMENT_NAMES, ENVIRONMENTS, environmentOf, ephemeralRefusal, exampleStack, overlayOf, PROTECTED_STACKS } from "./environments";

const ROOT = path.join(__dirname, "..");

describe("the environment catalogue", () => {
  it("maps every stack name to at most one environment, pr-<n> only for n ≥ 1 without leading zeros", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.nat().map((n) => `pr-${n}`), fc.constantFrom(...ENVIRONMENT_NAMES)), (stack) => {
        const env = environmentOf(stack);
        const claimed = ENVIRONMENT_NAMES.filter((e) => { const s = ENVIRONMENTS[e].stacks; return typeof s === "string" ? s === stack : s.test(stack); });
        assert.ok(claimed.length <= 1, `${stack} claimed by ${claimed.join(", ")}`);
        assert.equal(env, claimed[0]);
        if (stack.startsWith("pr-")) assert.equal(env === "pr", /^pr-[1-9][0-9]*$/.test(stack));
        if (env === undefined) assert.throws(() => overlayOf(stack), /no Kong overlay.*Fix:/);
        else assert.equal(overlayOf(stack), ENVIRONMENTS[env].overlay);
      }),
      { verbose: true },
    );
  });

  it("names a committed stack file or a template, and an existing Kong overlay, for every environment", () => {
    for (const env of ENVIRONMENT_NAMES) {
      const s = ENVIRONMENTS[env];
      const file = s.stackFile === "committed" ? `Pulumi.${exampleStack(env)}.yaml` : `Pulumi.${env}.template.yaml`;
      assert.ok(fs.existsSync(path.join(ROOT, "stacks", file)), `${env}: stacks/${file} is missing`);
      assert.ok(fs.existsSync(path.join(ROOT, "kong", "overlays", `${s.overlay}.yaml`)), `${env}: kong/overlays/${s.overlay}.yaml is missing`);
      assert.equal(environmentOf(exampleStack(env)), env);
    }
  });

  it("never lets a protected stack be ephemeral or disposable", () => {
    for (const env of ENVIRONMENT_NAMES) {
      const s = ENVIRONMENTS[env];
      if (PROTECTED_STACKS.has(exampleStack(env))) {
        assert.equal(s.disposable, false, env);
        assert.match(ephemeralRefusal(exampleStack(env)) ?? "", /never ephemeral/);
      }
      if (s.mustProtect) assert.ok(PROTECTED_STACKS.has(exampleStack(env)), `${env} must protect but a person may destroy it`);
      if (s.ephemeral) assert.equal(ephemeralRefusal(exampleStack(env)), undefined);
    }
  });
});
