import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { INTENDED_CHANGES } from "./changes";
import { GRAPH_STACKS, GraphNode } from "./record";

/**
 * The program's resource graph (URN, type, parent, name, options, inputs) for every stack kind,
 * compared with the snapshot recorded before the service-seams redesign (issue 15). A refactoring
 * must keep URNs and inputs; what it changes on purpose is listed in ./changes.ts with its reason.
 * Each stack is recorded in its own process (Pulumi mocks are process-global).
 *
 * COEXIST_GRAPH_UPDATE=1 rewrites the snapshots: only for a reviewed, intended change of baseline.
 */

const SNAPSHOTS = path.join(__dirname, "snapshots");
const root = path.join(__dirname, "..", "..");

function record(stack: string): GraphNode[] {
  const out = execFileSync(process.execPath, ["--import", "tsx", path.join(__dirname, "record.ts"), stack], { cwd: root, encoding: "utf8", maxBuffer: 64 << 20 });
  return JSON.parse(out) as GraphNode[];
}

/** Every leaf path where two JSON values differ, dot-separated (array indexes as numbers). */
export function differences(a: unknown, b: unknown, at = ""): string[] {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || a === null || b === null || typeof a !== "object") {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [at || "(root)"];
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  return [...keys].flatMap((k) => differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k));
}

/** What differs between the snapshot and the program, each difference as one line, the intended ones left out. */
export function unintended(stack: string, before: readonly GraphNode[], after: readonly GraphNode[]): { problems: string[]; usedChanges: Set<number> } {
  const used = new Set<number>();
  const intended = INTENDED_CHANGES.map((c, i) => ({ c, i })).filter(({ c }) => c.stacks.includes(stack));
  const old = new Map(before.map((n) => [n.urn, n]));
  const now = new Map(after.map((n) => [n.urn, n]));
  const problems: string[] = [];
  for (const [urn, was] of old) {
    const moved = intended.find(({ c }) => c.urn === urn && c.newUrn !== undefined);
    const is = now.get(moved?.c.newUrn ?? urn);
    if (is === undefined) {
      const removed = intended.find(({ c }) => c.urn === urn && c.removed === true);
      if (removed) used.add(removed.i);
      else problems.push(`missing: ${urn}${moved ? ` (listed as moved to ${moved.c.newUrn})` : ""}`);
      continue;
    }
    if (moved) used.add(moved.i);
    if (was.parent !== is.parent && !moved) problems.push(`parent changed: ${urn}: ${was.parent} -> ${is.parent}`);
    if (JSON.stringify(was.options) !== JSON.stringify(is.options)) {
      const listed = intended.find(({ c }) => c.urn === urn && c.inputs?.includes("(options)"));
      if (listed) used.add(listed.i);
      else problems.push(`options changed: ${urn}: ${JSON.stringify(was.options)} -> ${JSON.stringify(is.options)}`);
    }
    for (const p of differences(was.inputs, is.inputs)) {
      const listed = intended.find(({ c }) => c.urn === urn && c.inputs?.some((q) => p === q || p.startsWith(`${q}.`)));
      if (listed) used.add(listed.i);
      else problems.push(`input changed: ${urn}: ${p}`);
    }
  }
  const movedTo = new Set(intended.flatMap(({ c }) => (c.newUrn ? [c.newUrn] : [])));
  for (const urn of now.keys()) {
    if (old.has(urn) || movedTo.has(urn)) continue;
    const added = intended.find(({ c }) => c.urn === urn && c.added === true);
    if (added) used.add(added.i);
    else problems.push(`added: ${urn}`);
  }
  return { problems, usedChanges: used };
}

describe("resource graph against the pre-redesign snapshots", () => {
  const used = new Set<number>();
  for (const stack of GRAPH_STACKS) {
    it(`${stack}: same URNs, parents, options and inputs, except the listed intended changes`, () => {
      const file = path.join(SNAPSHOTS, `${stack}.json`);
      const graph = record(stack);
      if (process.env.COEXIST_GRAPH_UPDATE === "1") {
        fs.mkdirSync(SNAPSHOTS, { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(graph, null, 1)}\n`);
      }
      const before = JSON.parse(fs.readFileSync(file, "utf8")) as GraphNode[];
      const urns = graph.map((n) => n.urn);
      assert.equal(new Set(urns).size, urns.length, "URNs are unique");
      const { problems, usedChanges } = unintended(stack, before, graph);
      for (const i of usedChanges) used.add(i);
      assert.deepEqual(problems, [], `${stack}: differences not listed in stacks/graph/changes.ts`);
    });
  }
  it("every listed intended change still matches a difference", () => {
    const stale = INTENDED_CHANGES.filter((_, i) => !used.has(i)).map((c) => `${c.urn} (${c.why})`);
    assert.deepEqual(stale, []);
  });
});
