// The PR comment's picture: a collapsed Mermaid diagram of the changed resources and their direct
// neighbours (parent, children), from the preview's own events.
import { buildGraph, toMermaid, type GraphResource } from "./graph";

export function graphBlock(resources: readonly GraphResource[], changed: readonly string[]): string | undefined {
  if (changed.length === 0 || resources.length === 0) return undefined;
  const focus = new Set(changed);
  const g = buildGraph(resources, focus);
  return [
    `<details><summary>Graph of the ${changed.length} changed resource${changed.length === 1 ? "" : "s"} and their neighbours (${g.nodes.length} drawn; changed ones outlined in red)</summary>`,
    "",
    "```mermaid",
    toMermaid(g).trimEnd(),
    "```",
    "",
    "</details>",
  ].join("\n");
}
