import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { renderKongConfig } from "../components/kong/render";
import { installMocks, MockRun, settle } from "../components/testing/mocks";
import { generateKongCredentials } from "./kong-credentials";
import { stackConfig } from "./stack-files";

/**
 * The dev program under mocks (@pulumi/docker cannot run here): the worker containers run the
 * locally built image by its digest, so new worker code replaces them; a constant tag would not.
 */
const PASSWORDS = { "coexist:postgresPassword": "p", "coexist:debeziumPassword": "d", "coexist:mongodbPassword": "m" };
const devConfig = stackConfig("dev");

let run: MockRun;
before(async () => {
  run = installMocks("dev", { ...devConfig, ...PASSWORDS, "coexist:kongCredentials": generateKongCredentials(renderKongConfig("dev").secretVariables) }, [...Object.keys(PASSWORDS), "coexist:kongCredentials"]);
  const program = await import("./program");
  await run.runProgram(() => program.main());
  await settle();
});

describe("the Docker worker image", () => {
  it("runs the worker, reconciler and slot exporter by the built image's digest, never by its constant tag", () => {
    const image = run.one("docker:index/image:Image");
    const tag = String(image.inputs.imageName);
    const users = run.byType("docker:index/container:Container").filter((c) => ["sync", "reconciler", "slot-exporter"].some((h) => String(c.inputs.hostname).startsWith(h)));
    assert.ok(users.length >= 2, `worker containers: ${users.map((c) => c.inputs.hostname).join(", ")}`);
    for (const c of users) {
      assert.match(String(c.inputs.image), /^sha256:[0-9a-f]{64}$/, `${c.inputs.hostname} runs ${c.inputs.image}`);
      assert.notEqual(c.inputs.image, tag, `${c.inputs.hostname} must not run the constant tag ${tag}`);
    }
  });
});
