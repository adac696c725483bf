import { test } from "node:test";
import assert from "node:assert/strict";
import { buildGraph, domainOf, resourcesOfExport, toDot, toMermaid, type GraphResource } from "./graph";
import { rng } from "../../components/testing/seeded";

const SEED = Number(process.env.COEXIST_SEED ?? Date.now() % 2 ** 31);
const urn = (type: string, name: string) => `urn:pulumi:local::coexist::${type}::${name}`;
const TYPES = ["coexist:postgres:PostgresServer", "coexist:kafka:KafkaBroker", "coexist:connect:KafkaConnect", "coexist:mongodb:MongoDb", "coexist:kong:KongGateway", "coexist:workers:SyncWorkers", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Secret", "kubernetes:networking.k8s.io/v1:NetworkPolicy", "pulumi:providers:kubernetes", "random:index/randomPassword:RandomPassword"];

/** A generated export: a stack root, resources with random parents earlier in the list and random dependencies. */
function generated(r: () => number): GraphResource[] {
  const root = urn("pulumi:pulumi:Stack", "coexist-local");
  const out: GraphResource[] = [{ urn: root, type: "pulumi:pulumi:Stack" }];
  const n = 1 + Math.floor(r() * 40);
  for (let i = 0; i < n; i++) {
    const type = TYPES[Math.floor(r() * TYPES.length)]!;
    const parent = out[Math.floor(r() * out.length)]!.urn;
    const deps = out.filter(() => r() < 0.15).map((x) => x.urn);
    // Now and then a dependency on something outside the export (an external resource): never drawn.
    if (r() < 0.1) deps.push(urn("kubernetes:core/v1:Namespace", "elsewhere"));
    out.push({ urn: urn(type, `res-${i}`), type, parent, dependencies: deps });
  }
  return out;
}

/** Nodes and edges read back from the Mermaid text, by label. */
function readMermaid(text: string): { names: string[]; edges: [string, string][] } {
  const label = new Map<string, string>();
  for (const m of text.matchAll(/^\s+(r\d+)\["([^<]+)<br\/>/gm)) label.set(m[1]!, m[2]!);
  const edges = [...text.matchAll(/^\s+(r\d+) -(?:->|\.->) (r\d+)$/gm)].map((m) => [label.get(m[1]!)!, label.get(m[2]!)!] as [string, string]);
  return { names: [...label.values()], edges };
}

test(`graph: every resource of the export drawn once, nothing invented, every dependency and parent an edge (generated exports, seed ${SEED})`, () => {
  const r = rng(SEED);
  for (let run = 0; run < 300; run++) {
    const res = generated(r);
    const mm = readMermaid(toMermaid(buildGraph(res)));
    const names = res.map((x) => x.urn.slice(x.urn.lastIndexOf("::") + 2));
    assert.deepEqual([...mm.names].sort(), [...names].sort(), `seed ${SEED} run ${run}`);
    const known = new Set(res.map((x) => x.urn));
    const expected = res.flatMap((x) => [
      ...(x.dependencies ?? []).filter((d) => known.has(d)).map((d) => `${d.slice(d.lastIndexOf("::") + 2)}>${x.urn.slice(x.urn.lastIndexOf("::") + 2)}`),
      ...(x.parent ? [`${x.parent.slice(x.parent.lastIndexOf("::") + 2)}>${x.urn.slice(x.urn.lastIndexOf("::") + 2)}`] : []),
    ]);
    assert.deepEqual(mm.edges.map(([a, b]) => `${a}>${b}`).sort(), expected.sort(), `seed ${SEED} run ${run}`);
    const dot = toDot(buildGraph(res), "local");
    assert.equal((dot.match(/^\s+r\d+ \[label=/gm) ?? []).length, res.length, `seed ${SEED} run ${run}: dot node count`);
  }
});

test(`graph focus: the changed resources and exactly their direct neighbours (generated, seed ${SEED})`, () => {
  const r = rng(SEED + 1);
  for (let run = 0; run < 200; run++) {
    const res = generated(r);
    const focus = new Set(res.filter(() => r() < 0.2).map((x) => x.urn));
    const g = buildGraph(res, focus);
    const want = new Set(focus);
    for (const x of res) {
      for (const d of [...(x.dependencies ?? []), ...(x.parent ? [x.parent] : [])]) {
        if (!res.some((y) => y.urn === d)) continue;
        if (focus.has(x.urn)) want.add(d);
        if (focus.has(d)) want.add(x.urn);
      }
    }
    assert.deepEqual(g.nodes.map((n) => n.urn).sort(), [...want].sort(), `seed ${SEED} run ${run}`);
    const drawn = new Set(g.nodes.map((n) => n.urn));
    for (const e of g.edges) assert.ok(drawn.has(e.from) && drawn.has(e.to), `seed ${SEED} run ${run}: edge to an undrawn node ${e.from} -> ${e.to}`);
    assert.deepEqual(g.nodes.filter((n) => n.changed).map((n) => n.urn).sort(), [...focus].sort());
  }
});

test("domains: by the nearest coexist component, network policies and providers by type", () => {
  const pg = { urn: urn("coexist:postgres:PostgresServer", "pg"), type: "coexist:postgres:PostgresServer" };
  const sts = { urn: urn("kubernetes:apps/v1:StatefulSet", "pg-sts"), type: "kubernetes:apps/v1:StatefulSet", parent: pg.urn };
  const np = { urn: urn("kubernetes:networking.k8s.io/v1:NetworkPolicy", "pg-np"), type: "kubernetes:networking.k8s.io/v1:NetworkPolicy", parent: pg.urn };
  const lone = { urn: urn("kubernetes:core/v1:Secret", "s"), type: "kubernetes:core/v1:Secret" };
  const byUrn = new Map([pg, sts, np, lone].map((x) => [x.urn, x]));
  assert.equal(domainOf(sts, byUrn), "PostgreSQL");
  assert.equal(domainOf(np, byUrn), "network policies");
  assert.equal(domainOf(lone, byUrn), "stack");
});

test("resourcesOfExport refuses what is not a stack export, naming the key", () => {
  assert.throws(() => resourcesOfExport({ version: 3 }), /deployment\.resources/);
  assert.equal(resourcesOfExport({ version: 3, deployment: { resources: [{ urn: "u::a", type: "t", parent: "", dependencies: ["x"] }] } })[0]!.parent, undefined);
});

test("scripts/stack graph arguments: --format mermaid|dot|svg, only on graph", async () => {
  const { parseArgs } = await import("./cli");
  assert.equal(parseArgs(["graph", "local"]).command, "graph");
  assert.equal(parseArgs(["graph", "prod", "--format", "svg"]).options.format, "svg");
  assert.throws(() => parseArgs(["graph", "prod", "--format", "png"]), /--format must be mermaid, dot or svg, found "png"/);
  assert.throws(() => parseArgs(["up", "local", "--format", "svg"]), /--format is an option of graph/);
});
