import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";

/**
 * The layer rules of .dependency-cruiser.cjs over every TypeScript folder: no import cycle, no
 * upward arrow (see the config's header and the README's "Layers"). Each violation is listed with
 * its rule and its path, so a failure says what to move.
 */
const ROOT = path.join(__dirname, "..");
const FOLDERS = ["stacks", "components", "scripts", "policy", "test", ".github", "kong", "monitoring", "workers/src"];

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
  readonly cycle?: readonly { readonly name: string }[];
}

function cruise(): Violation[] {
  const out = execFileSync(process.execPath, [path.join(ROOT, "node_modules", "dependency-cruiser", "bin", "dependency-cruise.mjs"), "--config", ".dependency-cruiser.cjs", "--output-type", "json", ...FOLDERS], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  }).toString();
  return (JSON.parse(out) as { summary: { violations: Violation[] } }).summary.violations;
}

const show = (v: Violation): string => `${v.rule.name}: ${v.cycle ? [v.from, ...v.cycle.map((c) => c.name)].join(" → ") : `${v.from} → ${v.to}`}`;

describe("dependencies", () => {
  it("has no import cycle and no upward import anywhere (stacks → components → runtime; workers/ on its own)", { timeout: 120_000 }, () => {
    const found = cruise();
    // Expected until h/seams merges: components/mongodb/community.ts ↔ mongodb.ts and
    // components/postgres/cnpg.ts ↔ server.ts are the per-service seams' work (issue 15).
    assert.deepEqual(found.map(show), [], `\n${found.map(show).join("\n")}`);
  });
});
