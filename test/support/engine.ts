/**
 * The real Pulumi engine for the integration tests: the CLI built by scripts/toolchain (or the
 * `pulumi` on PATH) under the Automation API, with the program inline, in an isolated workspace
 * (its own file backend, passphrase and stack files) so a test never touches the developer's
 * stacks. Provider plugins the engine cannot download are installed once into a cached
 * PULUMI_HOME under ~/.cache/coexist.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { Engine, openEngine, ROOT } from "../../scripts/stack.d/engine";

export const PULUMI_HOME = path.join(process.env.COEXIST_CACHE ?? path.join(os.homedir(), ".cache", "coexist"), "pulumi-home");

export interface TestWorkspace {
  readonly dir: string;
  readonly engine: Engine;
  /** Creates a stack running `program` inline. */
  stack(name: string, program: PulumiFn): Promise<Stack>;
  /** Removes the workspace (state, stack files); call after every stack is destroyed. */
  dispose(): void;
}

/**
 * A workspace: a copy of Pulumi.yaml (so project settings and config validation are the real
 * ones), the repository's node_modules (the dynamic-provider host resolves @pulumi/pulumi from its
 * working directory), and a file backend of its own.
 */
export async function testWorkspace(env: Record<string, string> = {}, opts: { kubernetes?: boolean } = {}): Promise<TestWorkspace> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-engine-"));
  fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
  fs.mkdirSync(path.join(dir, "stacks"));
  // The engine checks that the project's `main` exists; the inline program is what runs.
  fs.symlinkSync(path.join(ROOT, "stacks", "index.ts"), path.join(dir, "stacks", "index.ts"));
  fs.mkdirSync(path.join(dir, "state"));
  fs.mkdirSync(PULUMI_HOME, { recursive: true });
  const engine = await openEngine({
    workDir: dir,
    env: {
      PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: randomBytes(16).toString("hex"),
      PULUMI_HOME,
      ...env,
    },
    // The Kubernetes provider plugin is built from the Go module proxy (minutes, once): only for tests that deploy to Kubernetes.
    installPlugins: opts.kubernetes ?? false,
    log: (line) => process.stderr.write(`[engine] ${line}\n`),
  });
  return {
    dir,
    engine,
    stack: (name, program) => engine.stack(name, program),
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * What a preview would do: "<op> <parent types$type> <name>" of each step other than same/read, with the
 * property paths it changes: the provider's own list when it gives one, else the paths where the
 * step's old and new inputs differ (what `preview --diff` shows; dynamic providers give no list).
 */
export async function plannedChanges(stack: Stack): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  await stack.preview({
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      if (!m || m.op === "same" || m.op === "read") return;
      const paths = m.diffs && m.diffs.length > 0 ? m.diffs : changedPaths(m.old?.inputs, m.new?.inputs);
      // The URN's type part names the parents too (Parent$Child), so a moved child reads as such.
      const [, , types, name] = m.urn.split("::");
      out.set(`${m.op} ${types ?? m.type} ${name ?? m.urn}`, paths);
    },
  });
  return out;
}

/** Property paths (`a.b["c.d"]`) where two input trees differ. */
export function changedPaths(a: unknown, b: unknown, at = ""): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) => changedPaths(a[k], b[k], /^[A-Za-z_$][\w$]*$/.test(k) ? (at ? `${at}.${k}` : k) : `${at}["${k}"]`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

/** Times engine operations for the figures a test prints: `timed("up", () => stack.up())`. */
export function stopwatch(): { timings: Record<string, number>; timed: <T>(what: string, f: () => Promise<T>) => Promise<T> } {
  const timings: Record<string, number> = {};
  const timed = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await f();
    } finally {
      timings[what] = Date.now() - t;
    }
  };
  return { timings, timed };
}
