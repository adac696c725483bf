import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

const script = path.join(__dirname, "stack");

/** Runs scripts/stack with a PATH holding only what we put there (plus bash and coreutils). */
function runStack(args: string[], fakeBins: Record<string, string> = {}): { status: number | null; stderr: string; stdout: string } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-stack-"));
  for (const [name, body] of Object.entries(fakeBins)) {
    fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  }
  const nodeDir = path.dirname(process.execPath);
  const r = spawnSync("bash", [script, ...args], { env: { PATH: `${bin}:${nodeDir}:/usr/bin:/bin`, HOME: os.tmpdir() }, encoding: "utf8" });
  fs.rmSync(bin, { recursive: true, force: true });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe("scripts/stack", () => {
  it("refuses an unknown stack name before doing anything", () => {
    const r = runStack(["up", "sandbox"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unknown stack "sandbox": use dev, staging, prod or pr-<n>/);
  });

  it("says what is missing when the Pulumi CLI is not installed", () => {
    const r = runStack(["up", "dev"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the Pulumi CLI is not on PATH/);
  });

  it("says so when no Docker engine answers for a dev stack", () => {
    const r = runStack(["up", "dev"], { pulumi: "exit 0", docker: "exit 1" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no Docker engine answers/);
  });

  it("refuses to destroy a protected environment", () => {
    const r = runStack(["destroy", "prod"], { pulumi: "exit 0", docker: "exit 0" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /prod is protected/);
  });
});
