// scripts/stack graph: the stack's resource graph from the engine's own data (a `pulumi stack export`
// deployment's resources, with their parent and dependencies), grouped by domain, as Mermaid or
// Graphviz dot. Pure: no engine here; cli.ts feeds it the export.
import type { EngineEvent } from "@pulumi/pulumi/automation";

export interface GraphResource {
  urn: string;
  type: string;
  parent?: string;
  dependencies?: readonly string[];
}

export const DOMAINS = ["PostgreSQL", "Kafka", "Connect", "MongoDB", "gateway", "workers", "network policies", "cluster", "providers", "stack"] as const;
export type Domain = (typeof DOMAINS)[number];

const BY_COMPONENT: Record<string, Domain> = {
  postgres: "PostgreSQL",
  kafka: "Kafka",
  connect: "Connect",
  mongodb: "MongoDB",
  kong: "gateway",
  workers: "workers",
  kubernetes: "cluster",
};

const BY_TYPE: [RegExp, Domain][] = [
  [/kafka\.strimzi\.io\/v\w+:KafkaConnect(or)?$|:Connector$/, "Connect"],
  [/kafka\.strimzi\.io|^kafka:/, "Kafka"],
  [/postgresql\.cnpg\.io|^postgresql:/, "PostgreSQL"],
  [/mongodbcommunity|^mongodbatlas:/, "MongoDB"],
  [/konghq\.com/, "gateway"],
];

/** The resources of a `pulumi stack export` (v3 deployment), refusing anything else by name. */
export function resourcesOfExport(exported: unknown): GraphResource[] {
  const d = (exported as { deployment?: { resources?: unknown } } | undefined)?.deployment;
  if (!d || !Array.isArray(d.resources)) throw new Error("not a stack export: deployment.resources is missing (pulumi stack export gives it)");
  return d.resources.map((r: Record<string, unknown>, i: number) => {
    if (typeof r.urn !== "string" || typeof r.type !== "string") throw new Error(`stack export resource #${i} has no urn or type`);
    return {
      urn: r.urn,
      type: r.type,
      ...(typeof r.parent === "string" && r.parent ? { parent: r.parent } : {}),
      dependencies: Array.isArray(r.dependencies) ? r.dependencies.filter((x): x is string => typeof x === "string") : [],
    };
  });
}

export const nameOf = (urn: string): string => urn.slice(urn.lastIndexOf("::") + 2);

/** The domain of a resource: network policies by their type, providers and the stack by theirs, the rest by the nearest coexist component above them. */
export function domainOf(r: GraphResource, byUrn: ReadonlyMap<string, GraphResource>): Domain {
  if (/NetworkPolicy$/.test(r.type) || r.type.startsWith("kubernetes:networking.k8s.io/v1:NetworkPolicy")) return "network policies";
  if (r.type.startsWith("pulumi:providers:")) return "providers";
  const seen = new Set<string>();
  for (let cur: GraphResource | undefined = r; cur && !seen.has(cur.urn); cur = cur.parent ? byUrn.get(cur.parent) : undefined) {
    seen.add(cur.urn);
    const m = /^coexist:([a-z]+):/.exec(cur.type);
    if (m && BY_COMPONENT[m[1]!]) return BY_COMPONENT[m[1]!]!;
  }
  // Outside any coexist component (a flat preview, a bridged provider's resource): by the type's API group.
  for (const [re, d] of BY_TYPE) if (re.test(r.type)) return d;
  return "stack";
}

export interface Graph {
  nodes: { urn: string; id: string; label: string; domain: Domain; changed: boolean }[];
  /** from -> to: `to` depends on `from` (or is its child). */
  edges: { from: string; to: string; kind: "dependency" | "parent" }[];
}

/**
 * Builds the graph. With `focus` (changed URNs), only those and their direct neighbours (parent,
 * children, dependencies, dependents) are kept, the changed ones marked.
 */
export function buildGraph(resources: readonly GraphResource[], focus?: ReadonlySet<string>): Graph {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const edges: Graph["edges"] = [];
  for (const r of resources) {
    for (const d of r.dependencies ?? []) if (byUrn.has(d) && d !== r.urn) edges.push({ from: d, to: r.urn, kind: "dependency" });
    if (r.parent && r.parent !== r.urn && byUrn.has(r.parent)) edges.push({ from: r.parent, to: r.urn, kind: "parent" });
  }
  let keep: Set<string>;
  if (focus) {
    keep = new Set([...focus].filter((u) => byUrn.has(u)));
    for (const e of edges) {
      if (focus.has(e.from) && byUrn.has(e.to)) keep.add(e.to);
      if (focus.has(e.to) && byUrn.has(e.from)) keep.add(e.from);
    }
  } else keep = new Set(byUrn.keys());
  const nodes = resources
    .filter((r) => keep.has(r.urn))
    .map((r, i) => ({ urn: r.urn, id: `r${i}`, label: `${nameOf(r.urn)}\n${r.type}`, domain: domainOf(r, byUrn), changed: focus?.has(r.urn) ?? false }));
  return { nodes, edges: edges.filter((e) => keep.has(e.from) && keep.has(e.to)) };
}

const esc = (s: string, nl: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\n/g, nl);
const domainId = (d: Domain) => `d_${d.replace(/[^a-zA-Z]/g, "_")}`;

export function toMermaid(g: Graph): string {
  const id = new Map(g.nodes.map((n) => [n.urn, n.id]));
  const out = ["flowchart LR"];
  for (const d of DOMAINS) {
    const members = g.nodes.filter((n) => n.domain === d);
    if (members.length === 0) continue;
    out.push(`  subgraph ${domainId(d)}["${d}"]`);
    for (const n of members) out.push(`    ${n.id}["${esc(n.label, "<br/>")}"]`);
    out.push("  end");
  }
  for (const e of g.edges) out.push(`  ${id.get(e.from)} ${e.kind === "parent" ? "-.->" : "-->"} ${id.get(e.to)}`);
  const changed = g.nodes.filter((n) => n.changed).map((n) => n.id);
  if (changed.length > 0) out.push("  classDef changed stroke:#d33,stroke-width:3px", `  class ${changed.join(",")} changed`);
  return out.join("\n") + "\n";
}

export function toDot(g: Graph, title: string): string {
  const id = new Map(g.nodes.map((n) => [n.urn, n.id]));
  const out = [`digraph "${esc(title, " ")}" {`, "  rankdir=LR;", '  node [shape=box, fontname="Helvetica", fontsize=10];', `  label="${esc(title, " ")}"; labelloc=t;`];
  for (const d of DOMAINS) {
    const members = g.nodes.filter((n) => n.domain === d);
    if (members.length === 0) continue;
    out.push(`  subgraph cluster_${domainId(d)} {`, `    label="${d}"; style=rounded;`);
    for (const n of members) out.push(`    ${n.id} [label="${esc(n.label, "\\n")}"${n.changed ? ", color=red, penwidth=2" : ""}];`);
    out.push("  }");
  }
  for (const e of g.edges) out.push(`  ${id.get(e.from)} -> ${id.get(e.to)}${e.kind === "parent" ? " [style=dashed]" : ""};`);
  out.push("}");
  return out.join("\n") + "\n";
}

/** The resources of a preview's steps with their parents (the events carry no dependencies); deletes only withDeleted (the comment draws them, the state graph does not). */
export function resourcesOfPreview(events: readonly EngineEvent[], opts: { withDeleted?: boolean } = {}): GraphResource[] {
  const seen = new Map<string, GraphResource>();
  for (const e of events) {
    const m = e.resourcePreEvent?.metadata;
    if (!m || (!opts.withDeleted && (m.op === "delete" || m.op === "discard"))) continue;
    const st = m.new ?? m.old;
    seen.set(m.urn, { urn: m.urn, type: m.type, ...(st?.parent ? { parent: st.parent } : {}), dependencies: [] });
  }
  return [...seen.values()];
}

