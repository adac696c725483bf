import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Finding, formatFinding, lintKongConfig, LintOptions } from "../../components/kong/lint";
import { RenderedKong, renderKongConfig } from "../../components/kong/render";
import type { KongConfig } from "../../components/kong/types";

export const ROOT = path.resolve(__dirname, "../..");
/** The caller's directory: the wrapper runs node from the repository root. */
export const CWD = process.env.COEXIST_DECK_CWD ?? process.cwd();

/** A failure the user can act on: printed as is, no stack trace. */
export class UsageError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The pinned decK binary, built from the Go module proxy on first use (scripts/deck.d/build.sh). */
export function deckBinary(build = true): string | undefined {
  const r = spawnSync("bash", [path.join(__dirname, "build.sh"), build ? "ensure" : "path"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (r.status === 0) return r.stdout.trim();
  if (build) throw new UsageError("scripts/deck: decK is not available (see the build messages above)");
  return undefined;
}

/** Runs decK with analytics off (nothing leaves the machine but what the command is for). */
export function runDeck(bin: string, args: string[], env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  return spawnSync(bin, [...args, "--analytics=false", "--no-color"], { encoding: "utf8", env, maxBuffer: 64 << 20 });
}

/**
 * decK reads `${{ env "DECK_..." }}` itself and stops at the first unset one. For offline
 * validation the unset ones get their own name as value, as decK's own mock mode does; such a
 * value never reaches a gateway, because rendering for one requires the real variables.
 */
export function deckEnvForValidation(variables: string[]): { env: NodeJS.ProcessEnv; mocked: string[] } {
  const env = { ...process.env };
  const mocked = variables.filter((v) => (env[v] ?? "") === "");
  for (const v of mocked) env[v] = v;
  return { env, mocked };
}

export function withTempFile<T>(name: string, content: string, f: (file: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-deck-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, content, { mode: 0o600 });
  try {
    return f(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface Checked {
  findings: Finding[];
  deck: "passed" | "failed" | "skipped";
  deckOutput: string;
}

/** Our lint rules, then decK's offline validation of the same text. */
export function checkConfig(label: string, config: KongConfig, yamlText: string, lint: LintOptions, variables: string[], skipDeck?: string): Checked {
  const findings = lintKongConfig(config, lint);
  if (skipDeck) return { findings, deck: "skipped", deckOutput: skipDeck };
  const bin = deckBinary();
  const { env, mocked } = deckEnvForValidation(variables);
  if (mocked.length > 0) log(`${label}: credentials not set, decK validates their names in place of values: ${mocked.join(", ")}`);
  const r = withTempFile("kong.yaml", yamlText, (file) => runDeck(bin as string, ["file", "validate", file], env));
  return { findings, deck: r.status === 0 ? "passed" : "failed", deckOutput: `${r.stdout}${r.stderr}`.trim() };
}

export function reportChecked(label: string, c: Checked): boolean {
  for (const f of c.findings) log(`${label}: ${formatFinding(f)}`);
  if (c.deck === "failed") log(`${label}: deck file validate failed:\n${c.deckOutput}`);
  if (c.deck === "skipped") log(`${label}: decK's own validation skipped: ${c.deckOutput}`);
  const ok = c.findings.length === 0 && c.deck !== "failed";
  log(`${label}: ${ok ? "ok" : "FAILED"} (lint: ${c.findings.length} finding(s); deck file validate: ${c.deck})`);
  return ok;
}

/** Validates one environment's rendering; true when it passes. */
export function validateEnv(stack: string, skipDeck?: string): boolean {
  const r = renderKongConfig(stack, { lint: false });
  const checked = checkConfig(stack, r.config, r.reviewYaml, { replicas: r.replicas, mode: r.mode, adminListen: r.adminListen }, r.secretVariables, skipDeck);
  return reportChecked(stack, checked);
}

/** `--kong-addr`, else DECK_KONG_ADDR, else the overlay's admin port on loopback; loopback only. */
export function kongAddr(flag: string | undefined, port: number): string {
  const addr = flag ?? process.env.DECK_KONG_ADDR ?? `http://127.0.0.1:${port}`;
  let host: string;
  try {
    host = new URL(addr).hostname;
  } catch {
    throw new UsageError(`scripts/deck: --kong-addr ${JSON.stringify(addr)} is not a URL; e.g. http://127.0.0.1:8001`);
  }
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) {
    throw new UsageError(
      `scripts/deck: the Admin API address ${addr} is not on loopback. Kong's Admin API listens only on the gateway's own loopback, ` +
        `so no Service or published port reaches it: on Kubernetes forward it with \`kubectl port-forward\` and pass --kong-addr http://127.0.0.1:<port>`,
    );
  }
  return addr.replace(/\/+$/, "");
}

/**
 * How a person reaches a running gateway's Admin API, which listens on the gateway's loopback only
 * (KONG_ADMIN_LISTEN): the only ways in are a port-forward to the pod and `docker exec`.
 */
export function adminAccessHint(r: Pick<RenderedKong, "stack" | "target" | "admin">): string {
  const port = r.admin.port;
  if (r.target === "kubernetes") {
    return `the Admin API listens on the pod's loopback only; forward it first: kubectl -n <namespace, coexist-${r.stack} by default> port-forward deploy/kong ${port}:${port}`;
  }
  return (
    `the Admin API listens on the container's loopback only and no host port reaches it; it answers on 127.0.0.1:${port} inside the container only: ` +
    `docker exec -it coexist-${r.stack}-kong bash, or a tool container sharing its network (docker run --rm --network container:coexist-${r.stack}-kong ...), both needing the Docker engine`
  );
}

export interface GatewayInfo {
  version: string;
  database: string;
}

/** GET / on the Admin API: Kong's version and database, or why nothing usable answered. */
export async function probeGateway(addr: string): Promise<GatewayInfo | { error: string }> {
  try {
    const res = await fetch(`${addr}/`, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return { error: `HTTP ${res.status} from ${addr}/` };
    const body = (await res.json()) as { version?: string; configuration?: { database?: string } };
    if (!body.version) return { error: `${addr}/ answered, but not like Kong's Admin API (no version)` };
    return { version: body.version, database: body.configuration?.database ?? "unknown" };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
    return { error: `no Kong Admin API at ${addr} (${cause})` };
  }
}
