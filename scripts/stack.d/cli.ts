/**
 * scripts/stack: the stack lifecycle, on the Pulumi engine under the Automation API (the program
 * runs inline, the same main() `pulumi up` runs from Pulumi.yaml). See USAGE.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { renderPrStack } from "../../stacks/pr-stack";
import type { Engine } from "./engine";
import { backendEnv, checkStackName, dockerAnswers, EPHEMERAL, PROTECTED, ROOT, UsageError } from "./workspace";

// The program and the engine load every provider SDK (seconds): imported only once a command runs.
const program = () => import("../../stacks/program");
const local = () => import("./local");

export const USAGE = `Usage: scripts/stack <command> <stack> [options]

Commands:
  up <stack>           create or select the stack, generate missing dev/pr/local secrets, deploy, print outputs
  preview <stack>      what an up would change, field by field (--json: the engine's events as JSON lines)
  refresh <stack>      read the real state back into the stack
  destroy <stack>      tear down dev, local or pr-<n> completely and, for pr-<n>, remove the stack and its file;
                       refused for staging and prod, whose stateful resources are protected
  create pr-<n>        render stacks/Pulumi.pr-<n>.yaml from the template (ports shifted per PR) and init it
  outputs <stack>      print the stack's outputs (secrets masked)

Stacks: dev and pr-<n> (Docker), local (the local data plane's Kubernetes API server and services),
staging and prod (Kubernetes; the kubeconfig from KUBECONFIG or coexist:kubernetes.context).

The engine is the \`pulumi\` on PATH when it is at least the SDK's version, else the pinned CLI that
scripts/toolchain builds from the Go module proxy (COEXIST_PULUMI=<binary> picks one). State goes to
PULUMI_BACKEND_URL or your Pulumi login; else to .pulumi-state/ with a generated passphrase.
`;

const log = (line: string): void => void process.stderr.write(`[stack] ${line}\n`);

interface Parsed {
  readonly command: string;
  readonly stack: string;
  readonly flags: Set<string>;
}

export function parseArgs(argv: readonly string[]): Parsed {
  const positional = argv.filter((a) => !a.startsWith("--"));
  const flags = new Set(argv.filter((a) => a.startsWith("--")));
  const [command, stack] = positional;
  const commands = ["up", "preview", "refresh", "destroy", "create", "outputs"];
  if (!command || !commands.includes(command)) throw new UsageError(command ? `unknown command "${command}"` : "a command is needed");
  const known = new Set(["--json", "--diff", "--yes"]);
  for (const f of flags) if (!known.has(f)) throw new UsageError(`unknown option ${f}`);
  return { command, stack: checkStackName(stack), flags };
}

/** Refusals that need no engine: checked first, so a wrong call fails in milliseconds. */
export function refuse(p: Parsed): string | undefined {
  if (p.command === "destroy" && PROTECTED.has(p.stack)) {
    return `${p.stack} is protected: its stateful resources refuse deletion; tear it down by hand after unprotecting, deliberately`;
  }
  if (p.command === "create" && !p.stack.startsWith("pr-")) return "create is for pr-<n> stacks (dev, local, staging and prod have committed or rendered stack files)";
  if ((p.stack === "dev" || p.stack.startsWith("pr-")) && (p.command === "up" || p.command === "destroy") && !dockerAnswers()) {
    return `no Docker engine answers (docker info failed); ${p.stack} runs on the local Docker engine`;
  }
  return undefined;
}

/** stacks/Pulumi.<stack>.yaml, rendered for pr-<n> (from the template) and local (from the data plane). */
async function ensureStackFile(stack: string): Promise<void> {
  const file = path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`);
  if (stack.startsWith("pr-") && !fs.existsSync(file)) {
    fs.writeFileSync(file, renderPrStack(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.pr.template.yaml"), "utf8"), Number(stack.slice(3))));
    log(`rendered stacks/Pulumi.${stack}.yaml from the pr template`);
  }
  if (stack === "local") {
    // Re-rendered each time: the data plane picks its ports when it starts.
    const existing = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {} : {};
    const secrets = Object.fromEntries(Object.entries(existing).filter(([, v]) => typeof v === "object" && v !== null && "secure" in (v as object)));
    const { localStackConfig, readDataplaneEnv } = await local();
    fs.writeFileSync(file, `# Rendered by scripts/stack from the local data plane (.dataplane/env); not committed.\n${stringify({ config: { ...localStackConfig(readDataplaneEnv()), ...secrets } })}`);
  }
}

/** dev, pr-<n> and local get random secrets on first use; staging and prod must be set by a human. */
async function ensureSecrets(stack: Stack, name: string): Promise<void> {
  const has = async (key: string) => (await stack.getAllConfig())[`coexist:${key}`] !== undefined;
  const needed = name === "local" ? ["debeziumPassword", "reconcilerPassword", "mongodbUrl"] : ["postgresPassword", "debeziumPassword", "mongodbPassword"];
  for (const key of needed) {
    if (await has(key)) continue;
    if (!EPHEMERAL.test(name)) throw new Error(`coexist:${key} is not set on ${name}; set it from the secret store: pulumi config set --secret coexist:${key} --stack ${name}`);
    const env = name === "local" ? (await local()).readDataplaneEnv() : undefined;
    const value = key === "mongodbUrl" ? env!.MONGODB_URL : (await import("node:crypto")).randomBytes(18).toString("base64url");
    await stack.setConfig(`coexist:${key}`, { value, secret: true });
    log(`generated secret coexist:${key}`);
  }
  if (!(await has("kongCredentials")) && EPHEMERAL.test(name)) {
    const { renderKongConfig } = await import("../../components/kong/render");
    const { generateKongCredentials } = await import("../../stacks/kong-credentials");
    const creds = generateKongCredentials(renderKongConfig(name).secretVariables, path.join(ROOT, ".pulumi-state", "keys", name));
    await stack.setConfig("coexist:kongCredentials", { value: JSON.stringify(creds), secret: true });
    log(`generated gateway credentials (private keys for minting test tokens: .pulumi-state/keys/${name}/)`);
  }
}

async function kubernetesEnv(stack: string): Promise<Record<string, string>> {
  if (stack !== "local") return {};
  return { KUBECONFIG: (await local()).readDataplaneEnv().KUBECONFIG };
}

async function prepareLocal(stack: Stack): Promise<void> {
  const { parseConfig } = await import("../../stacks/config");
  const { prepareExistingSources, readDataplaneEnv } = await local();
  const all = await stack.getAllConfig();
  const raw = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
  const config = parseConfig(raw, "local", Object.entries(all).filter(([, v]) => v.secret).map(([k]) => k));
  await prepareExistingSources(readDataplaneEnv(), config, all["coexist:reconcilerPassword"]!.value);
}

const print = (text: string): void => void process.stdout.write(text);

export async function run(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help") {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const p = parseArgs(argv);
  const refusal = refuse(p);
  if (refusal) throw new Error(refusal);
  await ensureStackFile(p.stack);
  const { openEngine } = await import("./engine");
  const { main } = await program();
  const probe = await openEngine({ installPlugins: false, log });
  const engine: Engine = await openEngine({ env: { ...backendEnv(probe.cli, log), ...(await kubernetesEnv(p.stack)) }, log });
  log(`Pulumi CLI ${engine.cli.version} (${engine.cli.source === "path" ? "from PATH" : "built by scripts/toolchain"})`);
  const stack = await engine.stack(p.stack, async () => main());
  if (p.command !== "outputs") await ensureSecrets(stack, p.stack);
  switch (p.command) {
    case "create":
      log(`${p.stack} created`);
      return 0;
    case "up":
      if (p.stack === "local") await prepareLocal(stack);
      await stack.up({ onOutput: print, color: "auto" });
      break;
    case "preview":
      if (p.flags.has("--json")) await stack.preview({ onEvent: (e) => print(`${JSON.stringify(e)}\n`) });
      else await stack.preview({ onOutput: print, diff: true, color: "auto" });
      return 0;
    case "refresh":
      await stack.refresh({ onOutput: print, color: "auto" });
      return 0;
    case "destroy":
      // Dependencies order the teardown: the connector goes before the slot and publication it reads.
      await stack.destroy({ onOutput: print, color: "auto" });
      if (p.stack.startsWith("pr-")) {
        await stack.workspace.removeStack(p.stack);
        fs.rmSync(path.join(ROOT, "stacks", `Pulumi.${p.stack}.yaml`), { force: true });
      }
      log(`${p.stack} destroyed`);
      return 0;
  }
  const outputs = await stack.outputs();
  if (p.flags.has("--json")) print(`${JSON.stringify(Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.secret ? "[secret]" : v.value])), null, 2)}\n`);
  else for (const [k, v] of Object.entries(outputs)) print(`  ${k}: ${v.secret ? "[secret] (pulumi stack output --show-secrets)" : typeof v.value === "string" ? v.value : JSON.stringify(v.value)}\n`);
  return 0;
}

if (require.main === module) {
  run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) {
        process.stderr.write(`[stack] error: ${e.message}\n\n${USAGE}`);
        process.exit(2);
      }
      process.stderr.write(`[stack] error: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
