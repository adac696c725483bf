import { stackConfig } from "../stacks/stack-files";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { generateKongCredentials } from "../stacks/kong-credentials";
import { renderKongConfig } from "./kong/render";
import { installMocks, MockRun, settle } from "./testing/mocks";

/**
 * The dev program's teardown order, read from the dependency graph the engine would get:
 * connector deleted (and its slot released, which the connector's delete waits for) → slot and
 * publication dropped. Pulumi deletes a resource only after everything that depends on it.
 */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const PASSWORDS = { "coexist:postgresPassword": "pg-s3cret", "coexist:debeziumPassword": "dbz-s3cret/with?odd@chars", "coexist:mongodbPassword": "mongo-s3cret" };
const devConfig = stackConfig("dev");
const KONG = generateKongCredentials(renderKongConfig("dev").secretVariables);

let run: MockRun;
/** Type and name of each resource the connector registration depends on. */
const connectorDeps: string[] = [];

before(async () => {
  run = installMocks("dev", { ...devConfig, ...PASSWORDS, "coexist:kongCredentials": KONG }, [...Object.keys(PASSWORDS), "coexist:kongCredentials"]);
  const program = await import("../stacks/program");
  await run.runProgram(() => {
    pulumi.runtime.registerStackTransformation((args) => {
      if (args.type === "pulumi-nodejs:dynamic/coexist:Connector") {
        const deps = (args.opts.dependsOn ?? []) as pulumi.Resource[];
        for (const d of [deps].flat()) {
          const r = d as pulumi.Resource & { __pulumiType?: string; __name?: string };
          connectorDeps.push(`${r.__pulumiType}::${r.__name}`);
        }
      }
      return undefined;
    });
    return program.main();
  });
  await settle();
});

describe("dev program teardown order", () => {
  it("registers the connector as depending on the replication slot, the publication and the Debezium role", () => {
    for (const type of ["postgresql:index/replicationSlot:ReplicationSlot", "postgresql:index/publication:Publication", "postgresql:index/role:Role"]) {
      assert.ok(connectorDeps.some((d) => d.startsWith(`${type}::`)), `connector depends on a ${type}: ${connectorDeps.join(", ")}`);
    }
  });

  it("gives the connector a slot probe as a secret, logging in as the reconciler's read-only role on the address Pulumi reaches", () => {
    const probe = run.one("pulumi-nodejs:dynamic/coexist:Connector").inputs.slotProbeUrl as Record<string, unknown>;
    assert.ok(probe?.[SECRET_SIG] !== undefined, "slotProbeUrl is a secret");
    const url = new URL(String(probe.value));
    // Reading pg_replication_slots needs no privilege, so the least privileged login role probes.
    assert.equal(url.username, "coexist_reconciler");
    assert.equal(decodeURIComponent(url.password), "generated-coexist-reconciler-password");
    // The same server address the stack's postgresql provider (which drops the slot) uses.
    const provider = run.one("pulumi:providers:postgresql").inputs;
    assert.equal(url.hostname, String(provider.host));
    assert.equal(url.port, String(provider.port));
    assert.equal(url.pathname, `/${String(provider.database)}`);
  });
});
