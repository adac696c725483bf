import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as docker from "@pulumi/docker";
import type { Capture } from "../capture";
import type { DockerTarget } from "../runtime";
import { SECRET_SIG } from "../testing/inspect";
import { installMocks, MockRun, settle } from "../testing/mocks";

/** readModelFor under Pulumi mocks: every realisation of the read model carries its schema. */

const CAPTURES: Capture[] = [{ table: "public.orders", collection: "orders", key: "order_id", transform: "order" }];
const URL = "mongodb://sync:Ext-s3cret@mongo.example.com:27017/?replicaSet=rs0";

let run: MockRun;
let mod: typeof import("./factory");
let mongodb: typeof import("./mongodb");

before(async () => {
  run = installMocks("unit", {});
  mod = await import("./factory");
  mongodb = await import("./mongodb");
});

const dockerTarget = (): DockerTarget => ({ kind: "docker", network: new docker.Network("net", { name: "coexist-unit" }), namePrefix: "coexist-unit", labels: {} });

describe("readModelFor", () => {
  it("runs the read-model schema on an external MongoDB from a Docker engine, as the container path does: a one-shot mongosh container", async () => {
    await run.runProgram(() => {
      const endpoint = mod.readModelFor("ext", { mode: "external", database: "coexist" }, { target: dockerTarget(), stack: "unit", captures: CAPTURES, url: URL }, {});
      assert.equal(endpoint.access.kind, "url");
      assert.equal(endpoint.ready.length, 1, "the workers wait for the schema job");
    });
    await settle();
    const job = run.one("docker:index/container:Container", "ext-mongodb-init").inputs;
    assert.equal(job.mustRun, false);
    assert.equal(job.attach, true, "a job runs to completion and its exit code decides the deployment");
    const uploads = job.uploads as { file: string; content: unknown }[];
    const script = uploads.find((u) => u.file.endsWith("/init.js"))?.content;
    assert.equal(script, mongodb.renderMongoInit("coexist", CAPTURES, { initiate: false, createAppUser: false }));
    for (const ix of mongodb.MONGO_INDEXES) assert.ok(String(script).includes(JSON.stringify(ix.options)), ix.options.name as string);
    // The URL reaches mongosh through the environment, as a secret; never on its command line.
    assert.ok((job.envs as Record<string, unknown>)[SECRET_SIG] !== undefined, `envs must be secret: ${JSON.stringify(job.envs)}`);
    assert.ok(!JSON.stringify(job.command ?? []).includes("Ext-s3cret"));
  });

  it("refuses an external read model without its URL, naming the secret to set, before any resource", async () => {
    const before = run.resources.length;
    assert.throws(() => mod.readModelFor("nourl", { mode: "external", database: "coexist" }, { target: { kind: "kubernetes" } as never, stack: "unit", captures: CAPTURES }, {}),
      /nourl-mongodb: an external read model needs its URL; fix: pulumi config set --secret coexist:mongodbUrl/);
    await settle();
    assert.equal(run.resources.length, before);
  });

  it("refuses a container read model on a Kubernetes target, naming the fix, before any resource", async () => {
    const before = run.resources.length;
    assert.throws(() => mod.readModelFor("mixed", { mode: "container", database: "coexist", port: 27018 }, { target: { kind: "kubernetes" } as never, stack: "unit", captures: CAPTURES, password: "p" }, {}),
      /mixed-mongodb: a container realisation needs the docker target, got kubernetes; fix:/);
    await settle();
    assert.equal(run.resources.length, before);
  });
});
