import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import { parse } from "yaml";
import { DEPLOYED_ENVIRONMENTS, PROTECTED_STACKS } from "../components/environments";

/**
 * The GitHub Actions workflows cannot run here; actionlint (built from the Go module proxy by
 * scripts/toolchain, pinned in versions.json) checks them: syntax, expressions and contexts, the
 * inputs of the actions they use (ours included), and, when shellcheck is on PATH, every run script.
 * The rest asserts what the workflows must keep doing.
 */
const ROOT = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const files = fs.readdirSync(WORKFLOWS).filter((f) => f.endsWith(".yml")).map((f) => path.join(WORKFLOWS, f));
type Obj = Record<string, unknown>;
const load = (name: string) => parse(fs.readFileSync(path.join(WORKFLOWS, name), "utf8")) as Obj;

let actionlint: string;
before(() => {
  const out = execFileSync(path.join(ROOT, "scripts", "toolchain"), ["ensure", "actionlint"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  actionlint = path.join(out.split("\n").find((l) => l.startsWith("actionlint "))!.slice("actionlint ".length).trim(), "actionlint");
});

function lint(args: string[], cwd = ROOT): { status: number | null; out: string } {
  const r = spawnSync(actionlint, ["-no-color", "-oneline", ...args], { cwd, encoding: "utf8" });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("GitHub Actions workflows", () => {
  it("pass actionlint, run scripts included when shellcheck is installed", () => {
    const r = lint(files);
    assert.equal(r.status, 0, r.out);
    const shellcheck = spawnSync("shellcheck", ["--version"]).status === 0;
    process.stdout.write(`# actionlint: ${files.length} workflows clean; shellcheck ${shellcheck ? "checked the run scripts" : "not installed, run scripts not checked"}\n`);
  });

  it("are checked for real: actionlint rejects a broken copy", () => {
    // A copy of the repository's .github with three mistakes a hurried edit makes.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-actionlint-"));
    fs.cpSync(path.join(ROOT, ".github"), path.join(dir, ".github"), { recursive: true });
    // actionlint resolves local actions (./.github/actions/...) from the project root it finds by .git.
    fs.mkdirSync(path.join(dir, ".git"));
    const file = path.join(dir, ".github", "workflows", "deploy.yml");
    const text = fs.readFileSync(file, "utf8")
      .replace("needs: staging", "needs: stagin")
      .replace("${{ secrets.KUBECONFIG_STAGING }}", "${{ secret.KUBECONFIG_STAGING }}")
      .replace("- uses: ./.github/actions/setup\n", "- uses: ./.github/actions/setup\n        with:\n          worker: \"true\"\n");
    fs.writeFileSync(file, text);
    const r = lint([file], dir);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.notEqual(r.status, 0);
    assert.match(r.out, /"stagin"/);
    assert.match(r.out, /undefined variable "secret"/);
    assert.match(r.out, /input "worker" is not defined in action/);
  });

  it("never put a secret on a command line: secrets reach scripts through env only", () => {
    for (const f of [...files, path.join(ROOT, ".github", "actions", "setup", "action.yml")]) {
      const text = fs.readFileSync(f, "utf8");
      for (const [i, line] of text.split("\n").entries()) {
        if (/\$\{\{\s*secrets[.[]/.test(line)) assert.match(line, /^\s+[A-Z_]+: \$\{\{ secrets/, `${path.basename(f)}:${i + 1} uses a secret outside an env mapping: ${line.trim()}`);
      }
    }
  });

  it("cover the review loop: PR checks, previews and comment; ephemeral up, test and destroy; nightly sweep and drift; gated deploys", () => {
    const pr = load("pull-request.yml");
    const prJobs = pr.jobs as Obj;
    assert.deepEqual(Object.keys(prJobs).sort(), ["checks", "comment", "kong-diff", "preview-prod", "preview-staging"]);
    for (const stack of ["staging", "prod"]) {
      assert.match(JSON.stringify(prJobs[`preview-${stack}`]), new RegExp(`scripts/stack preview ${stack} --markdown --policy-pack`));
      assert.equal((prJobs[`preview-${stack}`] as Obj).environment, `preview-${stack}`, "previews wait for a maintainer's approval");
    }
    assert.match(JSON.stringify(prJobs.comment), /<!-- coexist-review -->/);

    const eph = load("ephemeral.yml");
    assert.deepEqual(((eph.on as Obj).pull_request as Obj).types, ["opened", "synchronize", "reopened", "closed"]);
    const ephJobs = JSON.stringify(eph.jobs);
    for (const step of ["ephemeral create", "ephemeral up", "ephemeral test", "ephemeral destroy"]) assert.ok(ephJobs.includes(`scripts/stack ${step}`), step);
    assert.equal((eph.concurrency as Obj)["cancel-in-progress"], false);

    const nightly = JSON.stringify(load("nightly.yml"));
    assert.match(nightly, /"cron"/);
    assert.match(nightly, /scripts\/stack ephemeral sweep/);
    assert.match(nightly, /--refresh --expect-no-changes/);

    const deploy = load("deploy.yml");
    const jobs = deploy.jobs as Record<string, Obj>;
    // The catalogue (components/environments.ts) says which environments the deploy workflow
    // deploys, in order; each is a job behind the GitHub environment of its name, after the previous.
    DEPLOYED_ENVIRONMENTS.forEach((env, i) => {
      assert.equal(jobs[env]?.environment, env, `${env} waits for its environment's reviewers`);
      if (i > 0) assert.equal(jobs[env]?.needs, DEPLOYED_ENVIRONMENTS[i - 1], `${env} deploys after ${DEPLOYED_ENVIRONMENTS[i - 1]}`);
    });
    assert.deepEqual(DEPLOYED_ENVIRONMENTS, ["staging", "prod"]);
    // Stacks a person may not destroy are never in the ephemeral workflow's reach.
    const ephemeral = JSON.stringify(load("ephemeral.yml"));
    for (const stack of PROTECTED_STACKS) assert.doesNotMatch(ephemeral, new RegExp(`ephemeral \\w+ ${stack}\\b`), `${stack} is never ephemeral`);
  });

  it("install the Pulumi CLI and Node that versions.json pins, so CI runs what the tests ran", () => {
    const setup = fs.readFileSync(path.join(ROOT, ".github", "actions", "setup", "action.yml"), "utf8");
    assert.match(setup, /jq -r '\.tools\.pulumi \| ltrimstr\("v"\)' versions\.json/);
    assert.match(setup, /pulumi-version: \$\{\{ steps\.versions\.outputs\.pulumi \}\}/);
    assert.match(setup, /node-version: \$\{\{ steps\.versions\.outputs\.node \}\}/);
  });
});
