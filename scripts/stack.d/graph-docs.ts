/**
 * The committed pictures of dev and prod (docs/graph-<stack>.mmd and .svg). Neither can be deployed
 * here (dev needs a Docker engine, prod's Atlas and bridged providers are not served by the
 * registries), so they come from the mock graph: the program run under Pulumi mocks
 * (components/testing/mocks.ts), every resource it registers with its parent. The mocks see no
 * dependencies, so these pictures show parents only; `scripts/stack graph <stack>` on a deployed
 * stack draws dependencies too.
 *
 *   node --import tsx scripts/stack.d/graph-docs.ts <dev|prod> [--check]
 * writes (or, with --check, compares and exits 1 when stale) docs/graph-<stack>.mmd and .svg.
 * One stack per process: mocks are global to the Pulumi runtime.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stackConfig } from "../../stacks/stack-files";
import { renderKongConfig } from "../../components/kong/render";
import { installMocks, settle, type Recorded } from "../../components/testing/mocks";
import { generateKongCredentials } from "../../stacks/kong-credentials";
import { buildGraph, toDot, toMermaid, type GraphResource } from "./graph";
import { renderSvg } from "./graph-cli";

const ROOT = path.resolve(__dirname, "..", "..");
const FAKE: Record<string, Record<string, string>> = {
  dev: { "coexist:postgresPassword": "graph-docs", "coexist:debeziumPassword": "graph-docs", "coexist:mongodbPassword": "graph-docs" },
  prod: { "coexist:debeziumPassword": "graph-docs", "coexist:mongodbPassword": "graph-docs" },
};

export const mockUrn = (type: string, name: string): string => `${type}::${name}`;

export function resourcesOfMock(recorded: readonly Recorded[]): GraphResource[] {
  return recorded.map((r) => ({ urn: mockUrn(r.type, r.name), type: r.type, ...(r.parentType && r.parentName ? { parent: mockUrn(r.parentType, r.parentName) } : {}), dependencies: [] }));
}

export async function mockResources(stack: "dev" | "prod"): Promise<GraphResource[]> {
  // The stack file plus the project config in Pulumi.yaml (the shared capture list), as Pulumi merges them.
  const file = stackConfig(stack);
  const config = stack === "prod" ? { ...file, "coexist:kubernetes": { ...(file["coexist:kubernetes"] as object), crds: "skip" } } : file;
  const kong = generateKongCredentials(renderKongConfig(stack).secretVariables);
  const run = installMocks(stack, { ...config, ...FAKE[stack], "coexist:kongCredentials": kong }, [...Object.keys(FAKE[stack]!), "coexist:kongCredentials"]);
  const program = await import("../../stacks/program");
  await run.runProgram(() => program.main());
  await settle();
  return resourcesOfMock(run.resources);
}

async function main(): Promise<number> {
  const [stack, flag] = process.argv.slice(2);
  if (stack !== "dev" && stack !== "prod") throw new Error(`graph-docs: the stack is dev or prod, found "${stack ?? ""}"`);
  const g = buildGraph(await mockResources(stack));
  const files = {
    [path.join(ROOT, "docs", `graph-${stack}.mmd`)]: toMermaid(g),
    [path.join(ROOT, "docs", `graph-${stack}.svg`)]: renderSvg(toDot(g, `coexist ${stack} (mock graph: parents only)`)),
  };
  let stale = 0;
  for (const [f, text] of Object.entries(files)) {
    if (flag === "--check") {
      if (!fs.existsSync(f) || fs.readFileSync(f, "utf8") !== text) {
        process.stderr.write(`graph-docs: ${path.relative(ROOT, f)} is stale; regenerate: node --import tsx scripts/stack.d/graph-docs.ts ${stack}\n`);
        stale++;
      }
    } else fs.writeFileSync(f, text);
  }
  process.stdout.write(`${stack}: ${g.nodes.length} resources, ${g.edges.length} edges\n`);
  return stale === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then((c) => process.exit(c), (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
