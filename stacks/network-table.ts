/**
 * Prints the who-may-reach-what table of a stack (default staging) from its stack file, as the
 * README shows it: `node --import tsx stacks/network-table.ts [stack]`.
 */
import { parseConfig } from "./config";
import { stackConfig } from "./stack-files";
import { renderKongConfig } from "../components/kong/render";
import { operatorsFor } from "../components/platform";
import { networkInputs } from "../components/kubernetes/network-policies";
import { networkEdges, reachabilityTable } from "../components/kubernetes/network-rules";

export function stackTable(stack: string): string {
  const file = stackConfig(stack);
  // Placeholders: the table does not depend on secret values.
  const secrets = { "coexist:debeziumPassword": "x", "coexist:mongodbPassword": "x", "coexist:kongCredentials": "{}" };
  const raw = Object.fromEntries(Object.entries({ ...file, ...secrets }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const c = parseConfig(raw, stack, Object.keys(secrets));
  if (c.target !== "kubernetes") throw new Error(`${stack}: network policies are the kubernetes target's; ${stack} runs on ${c.target}`);
  const upstreams = renderKongConfig(stack).config.services.map((svc) => svc.url);
  return reachabilityTable(networkEdges(networkInputs(c, operatorsFor(c), upstreams)), c.kubernetes.namespace);
}

if (require.main === module) process.stdout.write(`${stackTable(process.argv[2] ?? "staging")}\n`);
