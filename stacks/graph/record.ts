import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { renderKongConfig } from "../../components/kong/render";
import { installMocks, Recorded, settle } from "../../components/testing/mocks";
import { FAKE_DATAPLANE, localStackConfig } from "../local-stack";
import { withProjectConfig } from "../stack-files";
import { renderPrStack } from "../pr-stack";

/**
 * The program's resource graph under Pulumi mocks, for one stack: every resource's URN (parent
 * chain included, as the engine builds it), type, parent URN, name, its options that change how
 * the engine treats it, and its inputs. Deterministic: secrets are fixed strings, Kong's generated
 * credentials are replaced by `<kong:NAME>` placeholders. stacks/graph/graph.test.ts compares
 * this with the snapshot under stacks/graph/snapshots/, so a refactoring that changes a URN or an
 * input shows up as a diff.
 *
 * Run as a child process (mocks are process-global): node --import tsx stacks/graph/record.ts <stack>
 */

export const GRAPH_STACKS = ["dev", "pr-42", "staging", "prod", "local"] as const;
export type GraphStack = (typeof GRAPH_STACKS)[number];

export interface GraphNode {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly custom: boolean;
  readonly options: Record<string, unknown>;
  readonly inputs: unknown;
}

const SECRETS: Record<GraphStack, Record<string, string>> = {
  dev: { "coexist:postgresPassword": "pg-Graph-s3cret", "coexist:debeziumPassword": "dbz-Graph-s3cret", "coexist:mongodbPassword": "mongo-Graph-s3cret" },
  "pr-42": { "coexist:postgresPassword": "pg-Graph-s3cret", "coexist:debeziumPassword": "dbz-Graph-s3cret", "coexist:mongodbPassword": "mongo-Graph-s3cret" },
  staging: { "coexist:debeziumPassword": "dbz-Graph-s3cret", "coexist:mongodbPassword": "mongo-Graph-s3cret" },
  prod: { "coexist:debeziumPassword": "dbz-Graph-s3cret", "coexist:mongodbPassword": "mongo-Graph-s3cret" },
  local: { "coexist:reconcilerPassword": "rec-Graph-s3cret", "coexist:mongodbUrl": "mongodb://sync:Graph-s3cret@127.0.0.1:57017/", "coexist:connectPassword": "connect-Graph-s3cret" },
};

function stackConfig(stack: GraphStack): Record<string, unknown> {
  const dir = path.join(__dirname, "..");
  if (stack === "local") return withProjectConfig(localStackConfig(FAKE_DATAPLANE));
  const text = stack === "pr-42"
    ? renderPrStack(fs.readFileSync(path.join(dir, "Pulumi.pr.template.yaml"), "utf8"), 42)
    : fs.readFileSync(path.join(dir, `Pulumi.${stack}.yaml`), "utf8");
  // The capture list and other shared keys are project config in Pulumi.yaml, as Pulumi merges them.
  const file = withProjectConfig((parse(text) as { config: Record<string, unknown> }).config);
  // As the mock tests run them: CRDs are applied for real only in the engine tests.
  return stack === "staging" || stack === "prod" ? { ...file, "coexist:kubernetes": { ...(file["coexist:kubernetes"] as object), crds: "skip" } } : file;
}

/** A fixed RSA public key (only a public key: Kong checks it parses), so the graph is the same every run. */
const RSA_PUBLIC_KEY = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAoOu8VVvbrqUEceVD4EnV\nEavwPPLDBSnxJdt0Abl9N1lbb+aQdu5l01w+PBoPQ0QruiwtNJ1BXmHZgFHsbaEn\nWvWlMruz+qr2CWD5EclHlqkgNxNuKFJtr5NXNO2ivEHv1uCekWFqWX/zF9gaH3j/\nI3IM5izGPmOFRrard4+DuO13gI/6SB8G92LrW909U++n15SyBsMK7G2EuWWyEsM9\nN+UmLilRjGSiDCZsYuyM/mqxEHUH1tUDvpOUwDjx7FZXVM5Gmn4UmwUtPZUCtvG3\njIKrQF+bMxzNe+moFZpNqofHXJWi8ivXhJO0qEtH+RivEezboIEe0JHRm3iq7fKF\nbwIDAQAB\n-----END PUBLIC KEY-----\n";

/** Fixed, recognisable stand-ins for Kong's generated credentials. */
function kongCredentials(stack: GraphStack): Record<string, string> {
  const names = renderKongConfig(stack).secretVariables;
  return Object.fromEntries(names.map((n) => [n, /RSA_PUBLIC_KEY$/.test(n) ? RSA_PUBLIC_KEY : `kong-${n}-Graph-s3cret`]));
}

export async function recordGraph(stack: GraphStack): Promise<GraphNode[]> {
  const kong = kongCredentials(stack);
  const run = installMocks(stack, { ...stackConfig(stack), ...SECRETS[stack], "coexist:kongCredentials": kong }, [...Object.keys(SECRETS[stack]), "coexist:kongCredentials"]);
  const program = await import("../program");
  await run.runProgram(() => program.main());
  await settle();
  return toGraph(stack, run.resources);
}

function toGraph(stack: string, resources: readonly Recorded[]): GraphNode[] {
  const key = (type: string, name: string) => `${type}::${name}`;
  const byKey = new Map(resources.map((r) => [key(r.type, r.name), r]));
  const typeChain = (r: Recorded): string => {
    // The engine leaves the root stack out of its children's URNs.
    if (r.parentType === undefined || r.parentName === undefined || r.parentType === "pulumi:pulumi:Stack") return r.type;
    const parent = byKey.get(key(r.parentType, r.parentName));
    return parent ? `${typeChain(parent)}$${r.type}` : `${r.parentType}$${r.type}`;
  };
  const urnOf = (r: Recorded) => `urn:pulumi:${stack}::coexist::${typeChain(r)}::${r.name}`;
  const nodes = resources.map((r): GraphNode => {
    const parent = r.parentType !== undefined && r.parentName !== undefined ? byKey.get(key(r.parentType, r.parentName)) : undefined;
    const options = Object.fromEntries(Object.entries({
      protect: r.protect, retainOnDelete: r.retainOnDelete, deleteBeforeReplace: r.deleteBeforeReplace, replaceOnChanges: r.replaceOnChanges,
    }).filter(([, v]) => v !== undefined));
    return { urn: urnOf(r), type: r.type, name: r.name, parent: parent ? urnOf(parent) : undefined, custom: r.custom, options, inputs: normalise(r.inputs) };
  });
  return nodes.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
}

const REPO = path.resolve(__dirname, "..", "..");

/** Sorted keys, so the JSON is stable whatever order a component builds its objects in; the checkout's path as `<repo>`. */
function normalise(value: unknown): unknown {
  if (typeof value === "string") return value.split(REPO).join("<repo>");
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, normalise((value as Record<string, unknown>)[k])]));
  }
  return value;
}

if (require.main === module) {
  const stack = process.argv[2] as GraphStack;
  if (!GRAPH_STACKS.includes(stack)) {
    process.stderr.write(`usage: record.ts <${GRAPH_STACKS.join("|")}>\n`);
    process.exit(2);
  }
  recordGraph(stack).then(
    (graph) => process.stdout.write(`${JSON.stringify(graph, null, 1)}\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
