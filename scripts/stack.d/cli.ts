/**
 * scripts/stack: the stack lifecycle, on the Pulumi engine under the Automation API (the program
 * runs inline, the same main() `pulumi up` runs from Pulumi.yaml). See USAGE.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { ENVIRONMENTS, environmentOf } from "../../components/environments";
import type { Engine } from "./engine";
import { ensureSecrets, ensureStackFile, log, openUserEngine, Parsed, prepareLocal, print } from "./stack-setup";
import { checkStackName, dockerAnswers, PROTECTED, ROOT, UsageError } from "./workspace";

export { ensureSecrets, ensureStackFile, kubernetesEnv, log, openUserEngine, prepareLocal, print } from "./stack-setup";
export type { Parsed } from "./stack-setup";

// The program and the engine load every provider SDK (seconds): imported only once a command runs.
const program = () => import("../../stacks/program");

export const USAGE = `Usage: scripts/stack <command> <stack> [options]

Commands:
  up <stack>           create or select the stack, generate missing dev/pr/local secrets, deploy, print outputs
  preview <stack>      what an up would change, field by field (--json: the engine's events as JSON lines)
  refresh <stack>      read the real state back into the stack
  destroy <stack>      tear down dev, local or pr-<n> completely and, for pr-<n>, remove the stack and its file;
                       refused for staging and prod, whose stateful resources are protected
  create pr-<n>        render stacks/Pulumi.pr-<n>.yaml from the template (ports shifted per PR) and init it
  outputs <stack>      print the stack's outputs (secrets masked)
  graph <stack>        the resource graph grouped by domain (--format mermaid|dot|svg; svg needs Graphviz's dot):
                       from the stack's state (parents and dependencies) when deployed, else from a
                       preview's engine events (parents only: the events carry no dependencies)
  ephemeral ...        short-lived review stacks: create, up, test, destroy, sweep (scripts/stack ephemeral --help)

Options:
  --markdown           preview: print a pull-request comment built from the engine's events (summary,
                       stateful replacements and deletions, connector and route diffs, per-resource
                       diffs), under GitHub's 65,536-character limit; exits 1 when the preview fails
  --max-chars N        preview --markdown: the comment's size limit (default 65536)
  --policy-pack        preview, up: run the mandatory policy pack (policy/) through the engine
  --refresh            preview, up: read the real state first
  --expect-no-changes  preview, up: fail when anything would change (a drift check)
  --json               preview: the engine's events as JSON lines; outputs: JSON

Stacks: dev and pr-<n> (Docker), local (the local data plane's Kubernetes API server and services),
staging and prod (Kubernetes; the kubeconfig from KUBECONFIG or coexist:kubernetes.context).

The engine is the \`pulumi\` on PATH when it is at least the SDK's version, else the pinned CLI that
scripts/toolchain builds from the Go module proxy (COEXIST_PULUMI=<binary> picks one). State goes to
PULUMI_BACKEND_URL or your Pulumi login; else to .pulumi-state/ with a generated passphrase.
Each stack's secrets: COEXIST_SECRETS_PROVIDER_<STACK> (awskms://, gcpkms://, azurekeyvault://,
hashivault://) or PULUMI_CONFIG_PASSPHRASE_<STACK> (PR for every pr-<n>); staging and prod refuse
the shared PULUMI_CONFIG_PASSPHRASE.
`;

const FLAGS = ["--json", "--diff", "--yes", "--markdown", "--policy-pack", "--refresh", "--expect-no-changes", "--dry-run", "--if-exists"];
const VALUED = ["--format", "--max-chars", "--pr", "--creator", "--ttl", "--timeout", "--table", "--now", "--id"];

/** Splits argv into positionals, flags and valued options, refusing anything unknown. */
export function splitArgs(argv: readonly string[]): { positional: string[]; flags: Set<string>; options: Record<string, string> } {
  const positional: string[] = [];
  const flags = new Set<string>();
  const options: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (VALUED.includes(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`${name} needs a value`);
      options[name.slice(2)] = value;
    } else if (FLAGS.includes(name) && inline === undefined) flags.add(name);
    else throw new UsageError(`unknown option ${a}`);
  }
  return { positional, flags, options };
}

export function parseArgs(argv: readonly string[]): Parsed {
  const { positional, flags, options } = splitArgs(argv);
  const [command] = positional;
  const commands = ["up", "preview", "refresh", "destroy", "create", "outputs", "graph", "ephemeral"];
  if (!command || !commands.includes(command)) throw new UsageError(command ? `unknown command "${command}"` : "a command is needed");
  if (command === "ephemeral") {
    const [, sub, stack] = positional;
    const subs = ["create", "up", "test", "destroy", "sweep"];
    if (!sub || !subs.includes(sub)) throw new UsageError(sub ? `unknown ephemeral command "${sub}"; use ${subs.join(", ")}` : `ephemeral needs a command: ${subs.join(", ")}`);
    if (sub === "sweep") {
      if (stack) throw new UsageError(`ephemeral sweep takes no stack; it looks at every stack of the backend, found "${stack}"`);
      return { command, sub, stack: "", flags, options };
    }
    return { command, sub, stack: checkStackName(stack), flags, options };
  }
  if (options.format !== undefined && (command !== "graph" || !["mermaid", "dot", "svg"].includes(options.format))) {
    throw new UsageError(command !== "graph" ? "--format is an option of graph" : `--format must be mermaid, dot or svg, found "${options.format}"`);
  }
  if (flags.has("--markdown") && command !== "preview") throw new UsageError("--markdown is an option of preview");
  if (options["max-chars"] !== undefined && !/^[1-9][0-9]{2,5}$/.test(options["max-chars"])) throw new UsageError(`--max-chars must be a number of characters (100 to 999999), found "${options["max-chars"]}"`);
  return { command, stack: checkStackName(positional[1]), flags, options };
}

/** Refusals that need no engine: checked first, so a wrong call fails in milliseconds. */
export function refuse(p: Parsed): string | undefined {
  if (p.command === "destroy" && PROTECTED.has(p.stack)) {
    return `${p.stack} is protected: its stateful resources refuse deletion; tear it down by hand after unprotecting, deliberately`;
  }
  const env = environmentOf(p.stack);
  if (p.command === "create" && env !== "pr") return "create is for pr-<n> stacks (dev, local, staging and prod have committed or rendered stack files)";
  if (env !== undefined && ENVIRONMENTS[env].target === "docker" && (p.command === "up" || p.command === "destroy") && !dockerAnswers()) {
    return `no Docker engine answers (docker info failed); ${p.stack} runs on the local Docker engine`;
  }
  return undefined;
}

/** Engine options of preview and up that the flags ask for. */
function engineOptions(p: Parsed): { policyPacks?: string[]; refresh?: boolean; expectNoChanges?: boolean } {
  return {
    ...(p.flags.has("--policy-pack") ? { policyPacks: [path.join(ROOT, "policy", "analyzer")] } : {}),
    ...(p.flags.has("--refresh") ? { refresh: true } : {}),
    ...(p.flags.has("--expect-no-changes") ? { expectNoChanges: true } : {}),
  };
}

/** preview --markdown: the comment is printed even when the preview fails (a policy violation is worth reading). */
async function previewMarkdown(stack: Stack, p: Parsed): Promise<number> {
  const { collectPreview } = await import("./markdown");
  const { renderPreviewMarkdown } = await import("./markdown-render");
  const events: EngineEvent[] = [];
  let failure: unknown;
  try {
    await stack.preview({ ...engineOptions(p), onEvent: (e) => events.push(e) });
  } catch (e) {
    failure = e;
  }
  const report = collectPreview(p.stack, events);
  print(renderPreviewMarkdown(report, { maxChars: p.options["max-chars"] ? Number(p.options["max-chars"]) : undefined }));
  if (failure === undefined) return 0;
  if (!events.some((e) => e.summaryEvent || e.policyEvent)) throw failure;
  log(`the preview of ${p.stack} failed; the comment above says why`);
  return 1;
}

export async function run(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h") || argv[0] === "help") {
    if (argv[0] === "ephemeral") {
      process.stdout.write((await import("./ephemeral")).EPHEMERAL_USAGE);
      return 0;
    }
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const p = parseArgs(argv);
  if (p.command === "ephemeral") return (await import("./ephemeral")).runEphemeral(p);
  const refusal = refuse(p);
  if (refusal) throw new Error(refusal);
  await ensureStackFile(p.stack);
  const { main } = await program();
  const engine: Engine = await openUserEngine(p.stack);
  const stack = await engine.stack(p.stack, async () => main());
  if (p.command !== "outputs" && p.command !== "graph") await ensureSecrets(stack, p.stack);
  switch (p.command) {
    case "create":
      log(`${p.stack} created`);
      return 0;
    case "up":
      if (p.stack === "local") await prepareLocal(stack);
      await stack.up({ ...engineOptions(p), onOutput: print, color: "auto" });
      break;
    case "preview":
      if (p.flags.has("--markdown")) return previewMarkdown(stack, p);
      if (p.flags.has("--json")) await stack.preview({ ...engineOptions(p), onEvent: (e) => print(`${JSON.stringify(e)}\n`) });
      else await stack.preview({ ...engineOptions(p), onOutput: print, diff: true, color: "auto" });
      return 0;
    case "graph":
      print(await (await import("./graph-cli")).graphOfStack(stack, p.stack, (p.options.format ?? "mermaid") as "mermaid" | "dot" | "svg", log));
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
