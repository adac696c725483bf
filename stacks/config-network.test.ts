import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Problems } from "./config-problems";
import { parseNetwork } from "./config-network";

/** coexist:kubernetes.egressCidrs and .operatorNamespace: bad values are named with their fix. */
function problems(value: unknown, operators: "install" | "skip" = "install"): { out: ReturnType<typeof parseNetwork>; list: string[] } {
  const p = new Problems();
  const out = parseNetwork(p, value, operators);
  try {
    p.throwIfAny();
    return { out, list: [] };
  } catch (e) {
    return { out, list: (e as { problems: string[] }).problems };
  }
}

describe("network config", () => {
  it("reads CIDRs per workload and the API server", () => {
    const { out, list } = problems({ egressCidrs: { sync: ["198.51.100.0/24"], apiServer: ["10.96.0.1/32"] } });
    assert.deepEqual(list, []);
    assert.deepEqual(out.egressCidrs, { sync: ["198.51.100.0/24"], apiServer: ["10.96.0.1/32"] });
  });

  it("refuses an unknown workload, a malformed CIDR, a /0, and an operator namespace for installed operators", () => {
    assert.match(problems({ egressCidrs: { worker: ["10.0.0.0/8"] } }).list.join("\n"), /coexist:kubernetes\.egressCidrs\.worker: unknown field; fix: use only gateway, sync/);
    assert.match(problems({ egressCidrs: { sync: ["10.0.0.300/8"] } }).list.join("\n"), /coexist:kubernetes\.egressCidrs\.sync: expected a list of IPv4 CIDRs/);
    assert.match(problems({ egressCidrs: { sync: ["0.0.0.0/0"] } }).list.join("\n"), /egressCidrs\.sync: 0\.0\.0\.0\/0 opens the whole internet; fix:/);
    assert.match(problems({ operatorNamespace: "cnpg-system" }).list.join("\n"), /coexist:kubernetes\.operatorNamespace: .*fix: remove the key, or set operators: skip/);
    assert.deepEqual(problems({ operatorNamespace: "cnpg-system" }, "skip").list, []);
  });
});

describe("egress coverage", () => {
  it("fails a prod on Atlas without the worker's, reconciler's and schema Job's CIDRs, and a cluster without the API server's, naming each key", async () => {
    const fs = await import("node:fs");
    const path = await import("node:path");
    const { parse } = await import("yaml");
    const { parseConfig } = await import("./config");
    const { withProjectConfig } = await import("./stack-files");
    const file = withProjectConfig((parse(fs.readFileSync(path.join(__dirname, "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, unknown> }).config);
    const secrets = { "coexist:debeziumPassword": "d", "coexist:mongodbPassword": "m", "coexist:kongCredentials": "{}" };
    const raw = (k8s: Record<string, unknown>) => Object.fromEntries(Object.entries({ ...file, ...secrets, "coexist:kubernetes": k8s }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
    const k8s = file["coexist:kubernetes"] as Record<string, unknown>;
    assert.doesNotThrow(() => parseConfig(raw(k8s), "prod", Object.keys(secrets)));
    const bare = { ...k8s, egressCidrs: undefined };
    assert.throws(() => parseConfig(raw(bare), "prod", Object.keys(secrets)), (e: Error & { problems?: string[] }) => {
      const text = (e.problems ?? [e.message]).join("\n");
      assert.match(text, /coexist:kubernetes\.egressCidrs\.sync: missing, and Atlas is outside the cluster.*fix: list its addresses/);
      assert.match(text, /coexist:kubernetes\.egressCidrs\.reconciler: missing, and Atlas/);
      // The read-model schema Job reaches Atlas too (an external MongoDB the same way).
      assert.match(text, /coexist:kubernetes\.egressCidrs\.mongoInit: missing, and Atlas/);
      assert.match(text, /coexist:kubernetes\.egressCidrs\.apiServer: missing, and the Kubernetes API/);
      return true;
    });
  });
});
