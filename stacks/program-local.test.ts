import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { renderKongConfig } from "../components/kong/render";
import { credentialLeaks, SECRET_SIG } from "../components/testing/inspect";
import { installMocks, MockRun, settle } from "../components/testing/mocks";
import { FAKE_DATAPLANE } from "../policy/testing";
import { localStackConfig } from "./local-stack";
import { generateKongCredentials } from "./kong-credentials";

/**
 * The `local` stack (every service external, as a platform team would hand them over) under
 * Pulumi mocks: how the program reaches an external Connect whose REST API asks for credentials.
 * The same program runs for real against the data plane's Connect in test/engine-local.test.ts.
 */

const CONNECT_PASSWORD = "c0nnect:L0cal/s3cret";
const SECRETS = { "coexist:reconcilerPassword": "rec-L0cal-s3cret", "coexist:mongodbUrl": "mongodb://sync:L0cal-s3cret@127.0.0.1:57017/", "coexist:connectPassword": CONNECT_PASSWORD };
const KONG = { "coexist:kongCredentials": JSON.stringify(generateKongCredentials(renderKongConfig("local").secretVariables)) };
const config = localStackConfig(FAKE_DATAPLANE);

describe("local program (external services)", () => {
  let run: MockRun;
  before(async () => {
    run = installMocks("local", { ...config, ...SECRETS, ...KONG }, [...Object.keys(SECRETS), "coexist:kongCredentials"]);
    const program = await import("./program");
    await run.runProgram(() => program.main());
    await settle();
  });

  it("registers the connector through the external Connect with its user and password, as a secret URL", () => {
    const registration = run.resources.find((r) => r.name.endsWith("-connector-registration"));
    const url = registration?.inputs.connectUrl as Record<string, unknown> | undefined;
    assert.ok(url?.[SECRET_SIG] !== undefined, `connectUrl must be a secret, found ${JSON.stringify(url)}`);
    assert.equal(url.value, `http://coexist:${encodeURIComponent(CONNECT_PASSWORD)}@127.0.0.1:58083`);
  });

  it("puts the Connect password nowhere but the registration's URL", () => {
    const leaks = credentialLeaks(run.resources, { "coexist:connectPassword": CONNECT_PASSWORD }, {
      "coexist:connectPassword": [{ type: "pulumi-nodejs:dynamic/coexist:Connector", name: /-connector-registration$/, input: "connectUrl" }],
    });
    assert.deepEqual(leaks, []);
  });
});

describe("local program without the Connect password", () => {
  it("fails naming coexist:connectPassword and registers no resource", async () => {
    const { "coexist:connectPassword": _dropped, ...rest } = SECRETS;
    const run = installMocks("local", { ...config, ...rest, ...KONG }, [...Object.keys(rest), "coexist:kongCredentials"]);
    const { main } = await import("./program");
    assert.throws(() => main(), /coexist:connectPassword: missing; fix: pulumi config set --secret coexist:connectPassword/);
    await settle();
    assert.deepEqual(run.resources.map((r) => r.type), []);
  });
});
