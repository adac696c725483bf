/**
 * The Pulumi engine as coexist drives it: the Pulumi CLI under the Automation API, running the
 * program inline (the Node.js language runtime runs in this process, so no language-host binary
 * is needed), with the same program a plain `pulumi up` runs from Pulumi.yaml.
 *
 * The CLI is the `pulumi` on PATH when it is recent enough for the SDK, else the one
 * `scripts/toolchain` builds from the Go module proxy. Provider plugins the engine cannot download
 * (this machine has no internet) are installed from the binaries scripts/toolchain builds.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as automation from "@pulumi/pulumi/automation";
import type { PulumiFn } from "@pulumi/pulumi/automation";

export const ROOT = path.resolve(__dirname, "..", "..");
export const PROJECT = "coexist";

/** The SDK in node_modules; the CLI must be at least this version (same major). */
export const SDK_VERSION: string = (JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")) as { version: string }).version;

export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export function parseVersion(text: string): Semver | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) } : undefined;
}

function compare(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * Whether a CLI can run this SDK's programs. An older CLI lacks engine features a newer SDK
 * relies on; a different major is a different protocol. Returns the reason when it cannot.
 */
export function cliAgreesWithSdk(cli: string, sdk: string = SDK_VERSION): string | undefined {
  const c = parseVersion(cli);
  const s = parseVersion(sdk);
  if (!c) return `cannot read a version from "${cli}"`;
  if (!s) return `cannot read the SDK version "${sdk}"`;
  if (c.major !== s.major) return `the Pulumi CLI ${cli} is major ${c.major}, the SDK (@pulumi/pulumi ${sdk}) is major ${s.major}`;
  if (compare(c, s) < 0) return `the Pulumi CLI ${cli} is older than the SDK (@pulumi/pulumi ${sdk})`;
  return undefined;
}

export interface ResolvedCli {
  /** Directory holding the `pulumi` binary. */
  readonly binDir: string;
  readonly version: string;
  readonly source: "path" | "toolchain";
}

function versionOf(binary: string): string | undefined {
  try {
    return execFileSync(binary, ["version"], { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).trim();
  } catch {
    return undefined;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs `scripts/toolchain ensure <tool>` (building it the first time) and returns its bin dir. */
export function toolchainBin(tool: string, opts: { build?: boolean } = {}): string | undefined {
  const script = path.join(ROOT, "scripts", "toolchain");
  if (opts.build === false) {
    try {
      return execFileSync(script, ["path", tool], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return undefined;
    }
  }
  const out = execFileSync(script, ["ensure", tool], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const line = out.split("\n").find((l) => l.startsWith(`${tool} `));
  if (!line) throw new Error(`scripts/toolchain ensure ${tool} printed no bin dir`);
  return line.slice(tool.length + 1).trim();
}

/**
 * The CLI to drive: `COEXIST_PULUMI` (a binary) if set, else `pulumi` on PATH when it agrees with
 * the SDK, else the pinned CLI from scripts/toolchain (built from the Go module proxy on first use).
 */
export function resolveCli(log: (line: string) => void = () => undefined): ResolvedCli {
  const explicit = process.env.COEXIST_PULUMI;
  const candidates: { binary: string; source: ResolvedCli["source"] }[] = [];
  if (explicit) candidates.push({ binary: explicit, source: "path" });
  else {
    const found = onPath("pulumi");
    if (found) candidates.push({ binary: found, source: "path" });
  }
  for (const c of candidates) {
    const version = versionOf(c.binary);
    const problem = version === undefined ? `${c.binary} does not run` : cliAgreesWithSdk(version);
    if (!problem) return { binDir: path.dirname(fs.realpathSync(c.binary)), version: version as string, source: c.source };
    if (explicit) throw new Error(`COEXIST_PULUMI=${explicit}: ${problem}; fix: point it at a Pulumi CLI >= ${SDK_VERSION}, or unset it`);
    log(`ignoring ${c.binary}: ${problem}; using the pinned CLI from scripts/toolchain`);
  }
  const bin = toolchainBin("pulumi") as string;
  const version = versionOf(path.join(bin, "pulumi"));
  if (!version) throw new Error(`the Pulumi CLI built by scripts/toolchain (${bin}/pulumi) does not run`);
  const problem = cliAgreesWithSdk(version);
  if (problem) throw new Error(`${problem}; fix: pin "tools.pulumi" in versions.json to ${SDK_VERSION} or newer, or @pulumi/pulumi in package.json to ${version} or older`);
  return { binDir: bin, version, source: "toolchain" };
}

/** Where the dynamic-provider plugin script (pulumi-resource-pulumi-nodejs) ships: inside the SDK package. */
export function dynamicProviderPluginDir(): string {
  return path.dirname(require.resolve("@pulumi/pulumi/package.json"));
}

export interface PluginSpec {
  /** Plugin name as the engine asks for it, e.g. "kubernetes". */
  readonly name: string;
  /** The version the SDK package requests. */
  readonly version: string;
  /** The scripts/toolchain tool that builds its binary. */
  readonly tool: string;
  readonly binary: string;
}

/** Provider plugins coexist can build here; the SDK's version is the one the engine asks for. */
export function buildablePlugins(): PluginSpec[] {
  const k8s = JSON.parse(fs.readFileSync(require.resolve("@pulumi/kubernetes/package.json"), "utf8")) as { version: string };
  return [{ name: "kubernetes", version: k8s.version, tool: "kubernetes-provider", binary: "pulumi-resource-kubernetes" }];
}

/**
 * Installs a provider plugin built by scripts/toolchain into PULUMI_HOME with `pulumi plugin
 * install --file`, unless that version is installed already: the engine then finds the exact
 * version the SDK asks for, offline, without a PATH override.
 */
export function ensurePlugin(cli: ResolvedCli, plugin: PluginSpec, env: Record<string, string>, log: (line: string) => void): void {
  const home = env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
  const dir = path.join(home, "plugins", `resource-${plugin.name}-v${plugin.version}`);
  if (fs.existsSync(path.join(dir, plugin.binary)) && !fs.existsSync(`${dir}.partial`)) return;
  const bin = toolchainBin(plugin.tool) as string;
  const tarball = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "coexist-plugin-")), `${plugin.binary}.tgz`);
  execFileSync("tar", ["-czf", tarball, "-C", bin, plugin.binary]);
  log(`installing the ${plugin.name} provider plugin v${plugin.version} built from the Go module proxy into ${home}`);
  execFileSync(path.join(cli.binDir, "pulumi"), ["plugin", "install", "resource", plugin.name, `v${plugin.version}`, "--file", tarball], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  fs.rmSync(path.dirname(tarball), { recursive: true, force: true });
}

/** PulumiCommand wants the directory above `bin/pulumi`; a binary elsewhere gets a bin/ symlink. */
function commandRoot(binDir: string): string {
  if (path.basename(binDir) === "bin") return path.dirname(binDir);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-pulumi-"));
  fs.mkdirSync(path.join(root, "bin"));
  fs.symlinkSync(path.join(binDir, "pulumi"), path.join(root, "bin", "pulumi"));
  return root;
}

export interface EngineOptions {
  /** The workspace directory: Pulumi.yaml, stack files and the node_modules the plugins load. @default the repository root */
  readonly workDir?: string;
  /** Extra environment for the CLI (PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE_FILE, KUBECONFIG...). */
  readonly env?: Record<string, string>;
  /** Install buildable provider plugins the engine cannot download. @default true */
  readonly installPlugins?: boolean;
  /** The secrets provider a new stack is created with (scripts/stack.d/secrets.ts). @default the passphrase */
  readonly secretsProvider?: string;
  readonly log?: (line: string) => void;
}

export interface Engine {
  readonly cli: ResolvedCli;
  readonly command: automation.PulumiCommand;
  readonly env: Record<string, string>;
  readonly workDir: string;
  /** Creates or selects `stackName` with `program` run inline. */
  stack(stackName: string, program: PulumiFn): Promise<automation.Stack>;
}

export async function openEngine(opts: EngineOptions = {}): Promise<Engine> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[engine] ${line}\n`));
  const cli = resolveCli(log);
  const command = await automation.PulumiCommand.get({ root: commandRoot(cli.binDir), skipVersionCheck: false });
  const workDir = opts.workDir ?? ROOT;
  // The CLI finds the dynamic-provider plugin beside itself or on PATH; it ships in the SDK.
  const env: Record<string, string> = {
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    ...opts.env,
    PATH: [dynamicProviderPluginDir(), process.env.PATH ?? ""].join(path.delimiter),
  };
  if (opts.installPlugins ?? true) for (const p of buildablePlugins()) ensurePlugin(cli, p, env, log);
  return {
    cli,
    command,
    env,
    workDir,
    stack: (stackName, program) =>
      automation.LocalWorkspace.createOrSelectStack(
        { stackName, projectName: PROJECT, program },
        { workDir, envVars: env, pulumiCommand: command, pulumiHome: env.PULUMI_HOME, secretsProvider: opts.secretsProvider },
      ),
  };
}
