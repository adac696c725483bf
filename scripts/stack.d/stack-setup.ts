/**
 * What every stack command does before the engine runs: the stack file (rendered for pr-<n> and
 * local), the generated secrets of disposable stacks, the local stack's pre-existing sources, and
 * the engine on the user's backend. Shared by scripts/stack's commands (cli.ts) and the ephemeral
 * ones (ephemeral.ts), so neither imports the other.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { parse, stringify } from "yaml";
import { environmentOf } from "../../components/environments";
import { renderPrStack } from "../../stacks/pr-stack";
import type { Engine } from "./engine";
import { backendEnv, EPHEMERAL, ROOT } from "./workspace";

const local = () => import("./local");

export const log = (line: string): void => void process.stderr.write(`[stack] ${line}\n`);

export interface Parsed {
  readonly command: string;
  /** ephemeral: its subcommand. */
  readonly sub?: string;
  readonly stack: string;
  readonly flags: Set<string>;
  /** Options that take a value (`--max-chars 30000` or `--max-chars=30000`). */
  readonly options: Readonly<Record<string, string>>;
}

/**
 * stacks/Pulumi.<stack>.yaml, rendered for pr-<n> (from the template) and local (from the data
 * plane), in `workDir` (the repository, or a test's isolated workspace). A local stack's `id` names
 * its namespace, slot, topics and database; a re-render keeps the id the file has (its namespace is
 * coexist-<id>) unless one is given.
 */
export async function ensureStackFile(stack: string, workDir = ROOT, id?: string): Promise<void> {
  const file = path.join(workDir, "stacks", `Pulumi.${stack}.yaml`);
  if (environmentOf(stack) === "pr" && !fs.existsSync(file)) {
    fs.writeFileSync(file, renderPrStack(fs.readFileSync(path.join(ROOT, "stacks", "Pulumi.pr.template.yaml"), "utf8"), Number(stack.slice(3))));
    log(`rendered stacks/Pulumi.${stack}.yaml from the pr template`);
  }
  if (environmentOf(stack) === "local") {
    // Re-rendered each time: the data plane picks its ports when it starts.
    const doc = fs.existsSync(file) ? (parse(fs.readFileSync(file, "utf8")) as Record<string, unknown> | null) ?? {} : {};
    const existing = (doc.config as Record<string, unknown> | undefined) ?? {};
    const secrets = Object.fromEntries(Object.entries(existing).filter(([, v]) => typeof v === "object" && v !== null && "secure" in (v as object)));
    const namespace = (existing["coexist:kubernetes"] as { namespace?: string } | undefined)?.namespace;
    const keptId = namespace?.startsWith("coexist-") ? namespace.slice("coexist-".length) : undefined;
    const { localStackFile, readDataplaneEnv } = await local();
    // The secrets provider's settings (encryptionsalt...) stay: without them the secure values kept above cannot be decrypted.
    const { config: _config, ...settings } = doc;
    fs.writeFileSync(file, `# Rendered by scripts/stack from the local data plane (.dataplane/env); not committed.\n${stringify({ ...settings, config: { ...localStackFile(readDataplaneEnv(), id ?? keptId ?? "local"), ...secrets } })}`);
  }
}

/** dev, pr-<n> and local get random secrets on first use; staging and prod must be set by a human. */
export async function ensureSecrets(stack: Stack, name: string, stateDir = path.join(ROOT, ".pulumi-state")): Promise<void> {
  const has = async (key: string) => (await stack.getAllConfig())[`coexist:${key}`] !== undefined;
  const needed = name === "local" ? ["debeziumPassword", "reconcilerPassword", "mongodbUrl", "connectPassword"] : ["postgresPassword", "debeziumPassword", "mongodbPassword"];
  for (const key of needed) {
    if (await has(key)) continue;
    if (!EPHEMERAL.test(name)) throw new Error(`coexist:${key} is not set on ${name}; set it from the secret store: pulumi config set --secret coexist:${key} --stack ${name}`);
    const env = name === "local" ? (await local()).readDataplaneEnv() : undefined;
    const value = key === "mongodbUrl" ? env!.MONGODB_URL : key === "connectPassword" ? env!.CONNECT_PASSWORD : (await import("node:crypto")).randomBytes(18).toString("base64url");
    await stack.setConfig(`coexist:${key}`, { value, secret: true });
    log(`generated secret coexist:${key}`);
  }
  if (!(await has("kongCredentials")) && EPHEMERAL.test(name)) {
    const { renderKongConfig } = await import("../../components/kong/render");
    const { generateKongCredentials } = await import("../../stacks/kong-credentials");
    const keys = path.join(stateDir, "keys", name);
    const creds = generateKongCredentials(renderKongConfig(name).secretVariables, keys);
    await stack.setConfig("coexist:kongCredentials", { value: JSON.stringify(creds), secret: true });
    log(`generated gateway credentials (private keys for minting test tokens: ${path.relative(ROOT, keys) || keys}/)`);
  }
}

export async function kubernetesEnv(stack: string): Promise<Record<string, string>> {
  if (stack !== "local") return {};
  return { KUBECONFIG: (await local()).readDataplaneEnv().KUBECONFIG };
}

export async function prepareLocal(stack: Stack): Promise<void> {
  const { parseConfig } = await import("../../stacks/config");
  const { prepareExistingSources, readDataplaneEnv } = await local();
  const all = await stack.getAllConfig();
  const raw = Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value]));
  const config = parseConfig(raw, "local", Object.entries(all).filter(([, v]) => v.secret).map(([k]) => k));
  await prepareExistingSources(readDataplaneEnv(), config, all["coexist:reconcilerPassword"]!.value);
}

export const print = (text: string): void => void process.stdout.write(text);

/** The engine on the user's backend (or .pulumi-state/), with the cluster credentials a stack needs. */
export async function openUserEngine(stack: string, opts: { secretsOf?: string } = {}): Promise<Engine> {
  const { openEngine } = await import("./engine");
  const probe = await openEngine({ installPlugins: false, log });
  const { stackSecrets } = await import("./secrets");
  const secrets = stackSecrets(opts.secretsOf ?? stack, { stackFile: path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), generate: { stateDir: path.join(ROOT, ".pulumi-state") } });
  log(`${stack}'s secrets: ${secrets.source}`);
  const engine = await openEngine({ env: { ...backendEnv(probe.cli, log), ...secrets.env, ...(await kubernetesEnv(stack)) }, secretsProvider: secrets.secretsProvider, log });
  log(`Pulumi CLI ${engine.cli.version} (${engine.cli.source === "path" ? "from PATH" : "built by scripts/toolchain"})`);
  return engine;
}
