import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { renderKongConfig } from "../components/kong/render";
import { MONGO_INDEXES, renderMongoInit } from "../components/mongodb/mongodb";
import { credentialLeaks, SECRET_SIG } from "../components/testing/inspect";
import { get } from "../components/testing/kubernetes";
import { installMocks, MockRun, settle } from "../components/testing/mocks";
import { parseConfig } from "./config";
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

  it("creates the read-model collections and indexes on the external MongoDB, from the same schema Job as every other realisation", () => {
    const jobs = run.byType("kubernetes:batch/v1:Job").filter((j) => j.parentType === "coexist:mongodb:MongoExternal");
    assert.equal(jobs.length, 1, `one read-model init Job under MongoExternal, found ${jobs.map((j) => j.name).join(", ") || "none"}`);
    const files = run.byType("kubernetes:core/v1:ConfigMap").filter((c) => c.parentType === "coexist:mongodb:MongoExternal");
    const script = files.flatMap((c) => Object.values((c.inputs.data ?? {}) as Record<string, string>)).join("\n");
    const raw = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    const parsed = parseConfig({ ...raw, ...SECRETS }, "local", Object.keys(SECRETS));
    assert.equal(parsed.mongodb.mode, "external");
    assert.ok(parsed.captures.length > 0);
    assert.equal(script, renderMongoInit(parsed.mongodb.database, parsed.captures, { initiate: false, createAppUser: false }));
    for (const ix of MONGO_INDEXES) assert.ok(script.includes(`createIndex(${JSON.stringify(ix.keys)}, ${JSON.stringify(ix.options)})`), ix.options.name as string);
    assert.ok(!script.includes("replSetInitiate") && !script.includes("createUser"), "the external store's replica set and users are not the stack's");
    // The Job reads coexist:mongodbUrl from a Secret, never from its spec or its script.
    const env = (get(jobs[0]?.inputs, "spec", "template", "spec", "containers") as { env?: { name: string; valueFrom?: unknown; value?: unknown }[] }[])[0]?.env ?? [];
    assert.ok(env.some((e) => e.name === "MONGODB_URL" && e.valueFrom !== undefined && e.value === undefined), JSON.stringify(env));
    const secret = run.byType("kubernetes:core/v1:Secret").find((x) => x.parentType === "coexist:mongodb:MongoExternal" && x.name.endsWith("-init-env"));
    const data = get(secret?.inputs, "stringData") as Record<string, unknown> | undefined;
    assert.ok(data?.[SECRET_SIG] !== undefined, `the Secret's data must be secret, found ${JSON.stringify(data)}`);
    assert.deepEqual(data.value, { MONGODB_URL: SECRETS["coexist:mongodbUrl"] });
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
