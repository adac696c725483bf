import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ENVIRONMENT_NAMES, exampleStack } from "../../components/environments";
import { kongOverlayFor } from "../../components/kong/overlay";
import { renderKongConfig } from "../../components/kong/render";
import type { KongConfig } from "../../components/kong/types";
import { checkConfig, CWD, log, reportChecked, UsageError, validateEnv } from "./common";
import { diff } from "./diff";
import { sync } from "./sync";

const ENVIRONMENTS = ENVIRONMENT_NAMES.map(exampleStack);

export const USAGE = `usage: scripts/deck <command> ...
  build                                   build the pinned decK (versions.json "deck") into the cache
  validate <env>... | --all               render, lint with our rules, then \`deck file validate\` (offline)
  validate --file <kong.yaml> [--replicas N] [--mode dbless|db]
                                          the same checks on an already rendered file
  render <env> [-o <file>] [--review]     the exact file the gateway loads (needs the DECK_JWT_* credentials);
                                          --review keeps the credential references instead
  diff <env> [--against <env> | --ref <git-ref>] [--kong-addr <url>] [--fail-on-diff] [--skip-consumers]
                                          against the running gateway when its Admin API answers (a kubectl
                                          port-forward to the pod), else the rendering at HEAD
  sync <env> [--kong-addr <url>]          database mode only: \`deck gateway sync\` through a port-forward; a DB-less
                                          gateway (every overlay today) runs what \`scripts/stack up <env>\` delivers
<env> is dev, local, staging, prod or pr-<n>. Exit codes: 0 ok, 1 failure, 2 a difference with --fail-on-diff.
Options: --no-deck (validate) skips decK's own step and says so; the Admin API address defaults to
DECK_KONG_ADDR, else http://127.0.0.1:<admin.port of the overlay>. Kong's Admin API listens on the gateway's
loopback only: \`kubectl port-forward\` (Kubernetes) and \`docker exec\` (Docker) are the only ways in.`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

const VALUED = new Set(["-o", "--against", "--ref", "--kong-addr", "--file", "--replicas", "--mode"]);

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) positional.push(a);
    else if (VALUED.has(a)) {
      if (argv[i + 1] === undefined) throw new UsageError(`scripts/deck: ${a} needs a value\n${USAGE}`);
      flags.set(a, argv[++i]);
    } else flags.set(a, true);
  }
  return { positional, flags };
}

function allow(p: Parsed, command: string, known: string[]): void {
  for (const f of p.flags.keys()) if (!known.includes(f)) throw new UsageError(`scripts/deck ${command}: unknown option ${f}\n${USAGE}`);
}

function str(p: Parsed, flag: string): string | undefined {
  const v = p.flags.get(flag);
  return typeof v === "string" ? v : undefined;
}

function oneEnv(p: Parsed, command: string): string {
  if (p.positional.length !== 1) throw new UsageError(`scripts/deck ${command}: expected one environment (dev, local, staging, prod, pr-<n>), got ${p.positional.length}\n${USAGE}`);
  kongOverlayFor(p.positional[0]);
  return p.positional[0];
}

function validate(p: Parsed): number {
  allow(p, "validate", ["--all", "--file", "--replicas", "--mode", "--no-deck"]);
  const skipDeck = p.flags.has("--no-deck") ? "--no-deck was given" : undefined;
  const file = str(p, "--file");
  if (file) {
    const replicas = Number(str(p, "--replicas") ?? "1");
    const mode = str(p, "--mode") ?? "dbless";
    if (!Number.isInteger(replicas) || replicas < 1) throw new UsageError(`scripts/deck validate: --replicas ${str(p, "--replicas")} is not a positive whole number`);
    if (mode !== "dbless" && mode !== "db") throw new UsageError(`scripts/deck validate: --mode ${mode}; expected dbless or db`);
    const full = path.resolve(CWD, file);
    const text = fs.readFileSync(full, "utf8");
    const config = YAML.parse(text) as KongConfig;
    const variables = [...new Set([...text.matchAll(/env "(DECK_[A-Z0-9_]+)"/g)].map((m) => m[1]))];
    return reportChecked(file, checkConfig(file, config, text, { replicas, mode }, variables, skipDeck)) ? 0 : 1;
  }
  const envs = p.flags.has("--all") ? ENVIRONMENTS : p.positional;
  if (envs.length === 0) throw new UsageError(`scripts/deck validate: name an environment, --all or --file\n${USAGE}`);
  envs.forEach((e) => kongOverlayFor(e));
  const results = envs.map((e) => validateEnv(e, skipDeck));
  return results.every(Boolean) ? 0 : 1;
}

function render(p: Parsed): number {
  allow(p, "render", ["-o", "--review"]);
  const env = oneEnv(p, "render");
  const review = p.flags.has("--review");
  const r = renderKongConfig(env, { resolveSecrets: !review });
  const out = str(p, "-o");
  if (!out) {
    process.stdout.write(r.yaml);
    return 0;
  }
  // The resolved file holds credentials: readable by its owner only.
  fs.writeFileSync(path.resolve(CWD, out), r.yaml, { mode: review ? 0o644 : 0o600 });
  log(`render ${env}: wrote ${out} (kong/overlays/${r.overlay}.yaml, mode ${r.mode}, ${r.replicas} replica(s)${review ? ", credential references kept" : ""})`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const p = parse(rest);
  switch (command) {
    case "validate":
      return validate(p);
    case "render":
      return render(p);
    case "diff":
      allow(p, "diff", ["--against", "--ref", "--kong-addr", "--fail-on-diff", "--skip-consumers"]);
      if (p.flags.has("--against") && p.flags.has("--ref")) throw new UsageError("scripts/deck diff: use --against or --ref, not both");
      return diff({
        env: oneEnv(p, "diff"),
        against: str(p, "--against"),
        ref: str(p, "--ref"),
        kongAddr: str(p, "--kong-addr"),
        failOnDiff: p.flags.has("--fail-on-diff"),
        skipConsumers: p.flags.has("--skip-consumers"),
      });
    case "sync":
      allow(p, "sync", ["--kong-addr"]);
      return sync({ env: oneEnv(p, "sync"), kongAddr: str(p, "--kong-addr") });
    default:
      throw new UsageError(`scripts/deck: unknown command ${JSON.stringify(command ?? "")}\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    log(e instanceof UsageError ? e.message : `scripts/deck: ${e.message}`);
    process.exit(e instanceof UsageError ? e.exitCode : 1);
  },
);
