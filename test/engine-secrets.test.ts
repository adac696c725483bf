// test-lane: control-plane
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { openEngine } from "../scripts/stack.d/engine";
import { stackSecrets } from "../scripts/stack.d/secrets";
import { testWorkspace, TestWorkspace } from "./support/engine";

/**
 * Per-stack secrets through the real Pulumi CLI on a file backend: staging and prod each encrypt
 * with their own passphrase (PULUMI_CONFIG_PASSPHRASE_<STACK>, mapped by scripts/stack.d/secrets.ts),
 * and staging's passphrase cannot open prod's secrets.
 */
describe("each stack's secrets on the real engine", () => {
  const passphrases = { PULUMI_CONFIG_PASSPHRASE_STAGING: randomBytes(16).toString("hex"), PULUMI_CONFIG_PASSPHRASE_PROD: randomBytes(16).toString("hex") };
  const secretValue = { staging: `staging-${randomBytes(8).toString("hex")}`, prod: `prod-${randomBytes(8).toString("hex")}` };
  let ws: TestWorkspace;
  const program = async () => ({});
  /** The engine for `stack` as scripts/stack opens it: only that stack's passphrase in the env. */
  const engineFor = async (stack: string, env: NodeJS.ProcessEnv) =>
    openEngine({ workDir: ws.dir, env: { ...ws.engine.env, ...stackSecrets(stack, { env }).env }, installPlugins: false, log: () => undefined });

  before(async () => {
    ws = await testWorkspace();
    for (const stack of ["staging", "prod"] as const) {
      const s = await (await engineFor(stack, passphrases)).stack(stack, program);
      await s.setConfig("coexist:mongodbPassword", { value: secretValue[stack], secret: true });
    }
  });
  after(() => ws?.dispose());

  it("encrypts staging and prod under different keys", () => {
    const salt = (stack: string) => /encryptionsalt: (\S+)/.exec(fs.readFileSync(path.join(ws.dir, "stacks", `Pulumi.${stack}.yaml`), "utf8"))?.[1];
    assert.ok(salt("staging") && salt("prod"));
    assert.notEqual(salt("staging"), salt("prod"));
    for (const stack of ["staging", "prod"] as const) assert.ok(!fs.readFileSync(path.join(ws.dir, "stacks", `Pulumi.${stack}.yaml`), "utf8").includes(secretValue[stack]));
  });

  it("opens each stack's secrets with its own passphrase", async () => {
    for (const stack of ["staging", "prod"] as const) {
      const s = await (await engineFor(stack, passphrases)).stack(stack, program);
      assert.equal((await s.getConfig("coexist:mongodbPassword")).value, secretValue[stack]);
    }
  });

  it("cannot open prod's secrets with staging's passphrase", async () => {
    // What a staging job holds, pointed at prod by hand: the CLI refuses to decrypt.
    const stolen = await openEngine({ workDir: ws.dir, env: { ...ws.engine.env, PULUMI_CONFIG_PASSPHRASE: passphrases.PULUMI_CONFIG_PASSPHRASE_STAGING }, installPlugins: false, log: () => undefined });
    await assert.rejects(async () => (await stolen.stack("prod", program)).getConfig("coexist:mongodbPassword"), /incorrect passphrase/);
    // And scripts/stack never maps it: a staging job's env gives prod nothing to open it with.
    assert.throws(() => stackSecrets("prod", { env: { PULUMI_CONFIG_PASSPHRASE_STAGING: passphrases.PULUMI_CONFIG_PASSPHRASE_STAGING } }), /fix: set PULUMI_CONFIG_PASSPHRASE_PROD/);
  });
});
