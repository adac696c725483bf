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
