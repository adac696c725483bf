import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { cliAgreesWithSdk, resolveCli, SDK_VERSION } from "./stack.d/engine";

const script = path.join(__dirname, "stack");

/** Runs scripts/stack with a PATH holding only what we put there (plus node, bash and coreutils). */
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
  it("refuses an unknown stack name with a usage error, before any engine runs", () => {
    const r = runStack(["up", "sandbox"]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown stack "sandbox": use dev, pr-<n>, local, staging or prod/);
  });

  it("refuses an unknown command and an unknown option", () => {
    assert.match(runStack(["deploy", "dev"]).stderr, /unknown command "deploy"/);
    assert.match(runStack(["preview", "dev", "--markdwn"]).stderr, /unknown option --markdwn/);
  });

  it("says so when no Docker engine answers for a dev stack", () => {
    const r = runStack(["up", "dev"], { docker: "exit 1" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no Docker engine answers/);
  });

  it("refuses to destroy a protected environment", () => {
    for (const stack of ["staging", "prod"]) {
      const r = runStack(["destroy", stack], { docker: "exit 0" });
      assert.equal(r.status, 1);
      assert.match(r.stderr, new RegExp(`${stack} is protected`));
    }
  });

  it("prints its usage on --help and exits 0", () => {
    const r = runStack(["--help"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: scripts\/stack <command> <stack>/);
    assert.match(r.stdout, /--markdown/);
  });

  it("prints the ephemeral commands' usage on ephemeral --help", () => {
    const r = runStack(["ephemeral", "--help"]);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: scripts\/stack ephemeral <command> \[stack\] \[options\]/);
    assert.match(r.stdout, /sweep +destroy every ephemeral stack of the backend past its TTL/);
  });

  it("refuses ephemeral commands on staging and prod before any engine runs", () => {
    for (const [sub, stack] of [["destroy", "staging"], ["create", "prod"], ["up", "prod"], ["test", "staging"]]) {
      const r = runStack(["ephemeral", sub as string, stack as string], { docker: "exit 0" });
      assert.equal(r.status, 1, `${sub} ${stack}`);
      assert.match(r.stderr, new RegExp(`${stack} is never ephemeral: its stateful resources are protected`));
    }
    assert.match(runStack(["ephemeral", "destroy", "dev"]).stderr, /dev is a developer's own stack, not an ephemeral one/);
  });

  it("says what is wrong with an ephemeral or preview call", () => {
    assert.match(runStack(["ephemeral"]).stderr, /ephemeral needs a command: create, up, test, destroy, sweep/);
    assert.match(runStack(["ephemeral", "teardown", "pr-1"]).stderr, /unknown ephemeral command "teardown"/);
    assert.match(runStack(["ephemeral", "sweep", "local"]).stderr, /ephemeral sweep takes no stack/);
    assert.match(runStack(["ephemeral", "create", "pr-1", "--ttl"]).stderr, /--ttl needs a value/);
    assert.match(runStack(["preview", "prod", "--markdown", "--max-chars", "lots"]).stderr, /--max-chars must be a number of characters \(100 to 999999\), found "lots"/);
    assert.match(runStack(["up", "prod", "--markdown"]).stderr, /--markdown is an option of preview/);
    assert.equal(runStack(["preview", "prod", "--markdown", "--max-chars=lots"]).status, 2);
  });

  it("says so when no Docker engine answers for an ephemeral pr stack", () => {
    const r = runStack(["ephemeral", "up", "pr-3"], { docker: "exit 1" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no Docker engine answers.*on this machine use the local stack/);
  });
});

describe("the engine's CLI", () => {
  it("accepts a CLI at least as new as the SDK, within its major", () => {
    assert.equal(cliAgreesWithSdk("v3.274.1", "3.270.0"), undefined);
    assert.equal(cliAgreesWithSdk("v3.270.0", "3.270.0"), undefined);
  });

  it("refuses an older CLI, or another major", () => {
    assert.match(cliAgreesWithSdk("v3.200.0", "3.270.0") ?? "", /older than the SDK/);
    assert.match(cliAgreesWithSdk("v4.0.0", "3.270.0") ?? "", /major 4/);
    assert.match(cliAgreesWithSdk("garbage", "3.270.0") ?? "", /cannot read a version/);
  });

  it("names the fix when COEXIST_PULUMI points at a CLI older than the SDK", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-cli-"));
    const fake = path.join(dir, "pulumi");
    fs.writeFileSync(fake, "#!/usr/bin/env bash\necho v3.100.0\n", { mode: 0o755 });
    const saved = process.env.COEXIST_PULUMI;
    process.env.COEXIST_PULUMI = fake;
    try {
      assert.throws(() => resolveCli(), new RegExp(`older than the SDK .*fix: point it at a Pulumi CLI >= ${SDK_VERSION.replace(/\./g, "\\.")}`));
    } finally {
      if (saved === undefined) delete process.env.COEXIST_PULUMI;
      else process.env.COEXIST_PULUMI = saved;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
