// scripts/stack graph <stack>: feeds graph.ts the engine's data for one stack.
import { spawnSync } from "node:child_process";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { buildGraph, resourcesOfExport, resourcesOfPreview, toDot, toMermaid, type GraphResource } from "./graph";

/** Graphviz's dot renders the SVG; Debian's graphviz package provides it (scripts/toolchain ensure graphviz). */
export function renderSvg(dot: string): string {
  const r = spawnSync("dot", ["-Tsvg"], { input: dot, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error("Graphviz's dot is not installed; install Debian's graphviz package (apt-get install graphviz, or scripts/toolchain ensure graphviz)");
  }
  if (r.status !== 0) throw new Error(`dot -Tsvg failed: ${r.stderr}`);
  return r.stdout;
}

export async function graphResources(stack: Stack, name: string, log: (l: string) => void): Promise<GraphResource[]> {
  const state = (await stack.exportStack()) as { deployment?: { resources?: unknown } };
  // A stack never deployed exports no resources at all.
  const exported = state.deployment?.resources ? resourcesOfExport(state) : [];
  if (exported.length > 0) {
    log(`${name}: graph from the stack's state (${exported.length} resources)`);
    return exported;
  }
  log(`${name}: not deployed; graph from a preview's engine events (parents only)`);
  const events: EngineEvent[] = [];
  await stack.preview({ onEvent: (e) => events.push(e) });
  return resourcesOfPreview(events);
}

export async function graphOfStack(stack: Stack, name: string, format: "mermaid" | "dot" | "svg", log: (l: string) => void): Promise<string> {
  const g = buildGraph(await graphResources(stack, name, log));
  if (format === "mermaid") return toMermaid(g);
  const dot = toDot(g, `coexist ${name}`);
  return format === "dot" ? dot : renderSvg(dot);
}
