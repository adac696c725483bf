import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

/**
 * No import cycle among components/ (type-only imports included: a cycle of types is still two
 * modules that cannot be read apart). Relative imports are resolved as TypeScript does for this
 * repository (x.ts, x/index.ts). The repository-wide dependency linter (issue 15) covers the layer
 * rules; this is the components/ part of its "zero cycles".
 */

const ROOT = __dirname;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (fs.existsSync(candidate)) return candidate;
  return undefined;
}

export function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    const specs = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.{1,2}\/[^"]+)"/gms)].map((m) => m[1]);
    graph.set(file, specs.map((s) => resolve(file, s)).filter((f): f is string => f !== undefined && f.startsWith(ROOT)));
  }
  return graph;
}

/** Every elementary cycle's members, found by depth-first search (one report per cycle). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      if (state.get(m) === "open") {
        const cycle = stack.slice(stack.indexOf(m));
        found.set([...cycle].sort().join(" "), cycle);
      } else if (state.get(m) === undefined) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...graph.keys()].sort()) if (state.get(n) === undefined) visit(n);
  return [...found.values()].map((c) => c.map((f) => path.relative(ROOT, f)));
}

describe("components/ imports", () => {
  it("have no cycle", () => {
    const graph = importGraph(sources(ROOT));
    assert.ok(graph.size > 40, `read ${graph.size} modules`);
    assert.deepEqual(cycles(graph).map((c) => c.join(" -> ")), []);
  });
});
