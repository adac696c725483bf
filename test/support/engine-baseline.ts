/**
 * The "before" of issue 15's before/after engine check: a stack deployed by the program of a
 * baseline commit (test/support/engine-baseline.json), so that HEAD's preview against that state
 * shows what a refactor would do to a real deployment (expected: nothing).
 *
 * The baseline's tree comes from `git archive` into a per-run directory, with its own Pulumi.yaml,
 * tsconfig and stack files. Its program runs in a separate Node process (engine-baseline-driver.ts)
 * that loads the baseline's own @pulumi/pulumi: two copies of the SDK never meet in one process.
 * Its node_modules are HEAD's when the baseline's package-lock.json equals HEAD's, else an
 * `npm ci` of that lockfile, once, cached under ~/.cache/coexist/engine-baseline/ by its hash.
 * Both runs share the test workspace's file backend, passphrase, PULUMI_HOME and stack name.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { buildablePlugins, ensurePlugin, ROOT } from "../../scripts/stack.d/engine";
import { INTENDED_CHANGES, IntendedChange } from "../../stacks/graph/changes";
import type { TestWorkspace } from "./engine";

export const BASELINE_FILE = path.join(__dirname, "engine-baseline.json");
const CACHE = path.join(process.env.COEXIST_CACHE ?? path.join(os.homedir(), ".cache", "coexist"), "engine-baseline");

export interface BaselineSpec {
  readonly commit: string;
  readonly why: string;
}

export function baselineSpec(file = BASELINE_FILE): BaselineSpec {
  const spec = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<BaselineSpec>;
  if (typeof spec.commit !== "string" || !/^[0-9a-f]{40}$/.test(spec.commit)) {
    throw new Error(`${path.relative(ROOT, file)}: "commit" must be a full 40-hex commit id, found ${JSON.stringify(spec.commit)}; fix: git rev-parse <commit> and put its output there`);
  }
  return { commit: spec.commit, why: spec.why ?? "" };
}

const git = (args: string[], cwd = ROOT) => spawnSync("git", args, { cwd, encoding: "utf8" });

/** Throws, naming the fix, when the commit is not in this clone (a shallow CI checkout). */
export function assertReachable(commit: string, cwd = ROOT): void {
  if (git(["cat-file", "-e", `${commit}^{commit}`], cwd).status === 0) return;
  const shallow = git(["rev-parse", "--is-shallow-repository"], cwd).stdout.trim() === "true";
  throw new Error(
    `the engine baseline commit ${commit} (test/support/engine-baseline.json) is not in this clone${shallow ? ", a shallow one" : ""}; ` +
      `fix: git fetch --unshallow (or git fetch origin ${commit}), then run the test again`,
  );
}

/** node_modules for a baseline: HEAD's when the lockfiles are equal, else `npm ci` of its lockfile, cached by hash. */
function baselineNodeModules(commit: string): { dir: string; shared: boolean } {
  const lock = git(["show", `${commit}:package-lock.json`]).stdout;
  const headLock = fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8");
  if (lock === headLock) return { dir: fs.realpathSync(path.join(ROOT, "node_modules")), shared: true };
  const key = createHash("sha256").update(lock).digest("hex").slice(0, 16);
  const done = path.join(CACHE, `npm-${key}`);
  if (fs.existsSync(path.join(done, "node_modules", ".package-lock.json"))) return { dir: path.join(done, "node_modules"), shared: false };
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(CACHE, `npm-${key}.partial-`));
  fs.writeFileSync(path.join(tmp, "package.json"), git(["show", `${commit}:package.json`]).stdout);
  fs.writeFileSync(path.join(tmp, "package-lock.json"), lock);
  process.stderr.write(`[engine-baseline] npm ci of ${commit.slice(0, 8)}'s package-lock.json into ${done} (once)\n`);
  // No install scripts: they download provider plugins and a Node binary; the child runs HEAD's Node and the plugins come from PULUMI_HOME.
  execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: tmp, stdio: ["ignore", "ignore", "inherit"] });
  try {
    fs.renameSync(tmp, done);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // a parallel run got there first
  }
  return { dir: path.join(done, "node_modules"), shared: false };
}

function stackConfigDir(projectFile: string): string {
  return ((parse(fs.readFileSync(projectFile, "utf8")) as { stackConfigDir?: string }).stackConfigDir ?? ".").toString();
}

export interface BaselineTree {
  readonly commit: string;
  readonly dir: string;
  /** Whether its node_modules are HEAD's (equal lockfiles). */
  readonly sharedModules: boolean;
  dispose(): void;
}

/** The baseline commit's files in a fresh directory, with node_modules to run its program. */
export function baselineTree(spec: BaselineSpec = baselineSpec()): BaselineTree {
  assertReachable(spec.commit);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `coexist-baseline-${spec.commit.slice(0, 8)}-`));
  const archive = spawnSync("sh", ["-c", 'git archive --format=tar "$1" | tar -x -C "$2"', "sh", spec.commit, dir], { cwd: ROOT, encoding: "utf8" });
  if (archive.status !== 0) throw new Error(`git archive ${spec.commit} into ${dir}: ${archive.stderr}`);
  const modules = baselineNodeModules(spec.commit);
  fs.symlinkSync(modules.dir, path.join(dir, "node_modules"));
  return { commit: spec.commit, dir, sharedModules: modules.shared, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface BaselineRun {
  readonly result: string;
  /** Steps by operation, as the engine counts them (create, same, update...). */
  readonly resourceChanges: Record<string, number>;
  readonly ms: number;
}

/**
 * `up` of `stackName` in `ws`'s backend by the baseline's own program, in a child process. The
 * stack must exist in `ws` (a test workspace, or the user's engine with its workDir) with its
 * config set: its stack file (config and encryption salt) is copied into the baseline's tree, so
 * both programs read the same config and secrets.
 */
export async function upFromBaseline(ws: Pick<TestWorkspace, "dir" | "engine">, stackName: string, opts: { tree?: BaselineTree; timeoutMs?: number } = {}): Promise<BaselineRun> {
  const tree = opts.tree ?? baselineTree();
  const t0 = Date.now();
  try {
    const from = path.join(ws.dir, stackConfigDir(path.join(ws.dir, "Pulumi.yaml")), `Pulumi.${stackName}.yaml`);
    const toDir = path.join(tree.dir, stackConfigDir(path.join(tree.dir, "Pulumi.yaml")));
    fs.mkdirSync(toDir, { recursive: true });
    fs.copyFileSync(from, path.join(toDir, `Pulumi.${stackName}.yaml`));
    // The engine asks for the Kubernetes plugin version the baseline's SDK names: install the built binary under that version too.
    const k8sVersion = (JSON.parse(fs.readFileSync(path.join(tree.dir, "node_modules", "@pulumi", "kubernetes", "package.json"), "utf8")) as { version: string }).version;
    for (const p of buildablePlugins()) if (p.name === "kubernetes" && p.version !== k8sVersion) ensurePlugin(ws.engine.cli, { ...p, version: k8sVersion }, ws.engine.env, (l) => process.stderr.write(`[engine-baseline] ${l}\n`));
    const job = {
      tree: tree.dir,
      stackName,
      projectName: (parse(fs.readFileSync(path.join(tree.dir, "Pulumi.yaml"), "utf8")) as { name: string }).name,
      pulumiCommand: ws.engine.command.command,
      env: ws.engine.env,
      op: "up",
    };
    const out = await runDriver(tree.dir, job, opts.timeoutMs ?? 600_000);
    return { ...out, ms: Date.now() - t0 };
  } finally {
    if (!opts.tree) tree.dispose();
  }
}

async function runDriver(cwd: string, job: object, timeoutMs: number): Promise<Omit<BaselineRun, "ms">> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "engine-baseline-driver.ts")], {
    cwd,
    env: { ...process.env, COEXIST_BASELINE_JOB: JSON.stringify(job) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  clearTimeout(timer);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !last.startsWith("{")) {
    throw new Error(`the baseline's program (${(job as { op: string }).op}) failed (exit ${code}):\n${(stderr || stdout).slice(-4000)}`);
  }
  return JSON.parse(last) as Omit<BaselineRun, "ms">;
}

/**
 * The steps of HEAD's preview against the baseline's deployment that stacks/graph/changes.ts does not
 * list: a create is allowed only for a resource listed as `added`, an update only of a resource
 * listed with `inputs` and only on those paths; a replace or a delete never. `planned` is
 * plannedChanges' map ("<op> <type path> <name>" -> changed paths) of the stack `stack`.
 */
export function unlistedSteps(stack: string, planned: ReadonlyMap<string, readonly string[]>, changes: readonly IntendedChange[] = INTENDED_CHANGES): string[] {
  const listed = changes.filter((c) => c.stacks.includes(stack));
  // plannedChanges gives the provider's paths (`spec.ingress[3].ports[2]`); changes.ts dot-separates them.
  const dotted = (p: string) => p.replace(/\["([^"]*)"\]/g, ".$1").replace(/\[(\d+)\]/g, ".$1").replace(/^\./, "");
  const covers = (q: string, p: string) => p === q || p.startsWith(`${q}.`) || q.startsWith(`${p}.`);
  return [...planned].flatMap(([step, paths]) => {
    const [op, typePath, name] = step.split(" ");
    const urn = `urn:pulumi:${stack}::coexist::${typePath}::${name}`;
    const entry = listed.find((c) => (c.newUrn ?? c.urn) === urn);
    if (op === "create" && entry?.added) return [];
    if (op === "update" && entry?.inputs && paths.length > 0 && paths.every((p) => entry.inputs!.some((q) => covers(q, dotted(p))))) return [];
    return [`${step} [${paths.join(", ")}]`];
  });
}
