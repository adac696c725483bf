/**
 * Prints the who-may-reach-what table of a stack (default staging) from its stack file, as the
 * README shows it: `node --import tsx components/kubernetes/network-table.ts [stack]`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseConfig } from "../../stacks/config";
import { renderKongConfig } from "../kong/render";
import { operatorsFor } from "../platform";
import { networkInputs } from "./network-policies";
import { networkEdges, reachabilityTable } from "./network-rules";

export function stackTable(stack: string): string {
  const file = (parse(fs.readFileSync(path.join(__dirname, "..", "..", "stacks", `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
  // Placeholders: the table does not depend on secret values.
  const secrets = { "coexist:debeziumPassword": "x", "coexist:mongodbPassword": "x", "coexist:kongCredentials": "{}" };
  const raw = Object.fromEntries(Object.entries({ ...file, ...secrets }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const c = parseConfig(raw, stack, Object.keys(secrets));
  const upstreams = renderKongConfig(stack).config.services.map((svc) => svc.url);
  return reachabilityTable(networkEdges(networkInputs(c, operatorsFor(c), upstreams)), c.kubernetes!.namespace);
}

if (require.main === module) process.stdout.write(`${stackTable(process.argv[2] ?? "staging")}\n`);
