/**
 * `scripts/stack ephemeral create|up|test|destroy|sweep`: short-lived review stacks that leave
 * nothing behind. Two flavours, by stack name:
 *
 * - `pr-<n>`: the Docker target (stacks/Pulumi.pr.template.yaml), what CI runs per pull request on
 *   a runner with a Docker engine;
 * - `local`: the Kubernetes target on the local data plane's API server, with the data plane's
 *   PostgreSQL, Kafka, Connect and MongoDB-wire store as external services; what runs here (no
 *   Docker engine) and in the test suite. One per data plane, and each data plane (a worktree, a
 *   CI job) is its own.
 *
 * staging and prod are refused by every command, before any engine starts.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as automation from "@pulumi/pulumi/automation";
import type { Stack } from "@pulumi/pulumi/automation";
import { ensureSecrets, ensureStackFile, log as stackLog, Parsed, prepareLocal, print } from "./stack-setup";
import type { Engine } from "./engine";
import { footprintOf, formatLeftovers, Leftover, leftovers } from "./ephemeral-footprint";
import { deleteGroups, dropMongoDatabase, observe, Services, waitConnectorGone, waitSlotInactive } from "./ephemeral-inspect";
import { kubeClient, namespacePhase } from "./ephemeral-kube";
import { DEFAULT_TTL, TAGS, defaultCreator, ephemeralRefusal, expiresAt, flavourOf, isExpired, metaOf, parseDuration, parseTtl, tagsOf } from "./ephemeral-meta";
import { smokeTest, SmokeResult, SmokeTarget } from "./ephemeral-smoke";
import { ROOT, UsageError } from "./workspace";
import { connectUrlWithCredentials } from "./dataplane-env";
import { configOf, freePort, localLaunch, workerProcess } from "./local-workers";

export const EPHEMERAL_USAGE = `Usage: scripts/stack ephemeral <command> [stack] [options]

Short-lived review stacks that leave nothing behind. pr-<n> runs on the Docker target (CI runners);
local runs on the local data plane's Kubernetes API server with its services (this machine, the
test suite). staging and prod are refused.

Commands:
  create <stack>     create the stack and tag it: PR number, creator, created-at, TTL
                     --pr N (default: n of pr-<n>)  --creator WHO (default: $GITHUB_ACTOR, git, user)
                     --ttl 24h (s, m, h or d; at most 30d)
                     --id ID (local only): names its namespace, slot, topics and database, so that
                     several local stacks share one data plane (default: local)
  up <stack>         deploy it (local: the CDC source and topics are prepared on the data plane first)
                     --policy-pack: run the mandatory policy pack
  test <stack>       smoke test: a canary row written to PostgreSQL must reach MongoDB, and its delete
                     follow, within --timeout (default 120s); where Kong runs, a call without a token
                     must be refused. --table schema.table picks the capture (default: the first)
  destroy <stack>    destroy in a safe order (connector gone and its slot released before the slot and
                     publication are dropped; topics, consumer groups, read-model database), check that
                     nothing is left (slot, publication, topic, connector, container, volume, network,
                     Kubernetes object), then remove the stack; exit 1 naming each leftover
                     --if-exists: a stack that is not there is not an error (a PR closed before its
                     stack was made)
  sweep              destroy every ephemeral stack of the backend past its TTL
                     --dry-run: only list them   --now ISO-DATE: judge expiry at that time
`;

export interface EphemeralContext {
  readonly engine: Engine;
  /** Where stacks/Pulumi.<stack>.yaml live (the repository, or a test's workspace). */
  readonly workDir: string;
  /** Where generated gateway keys go (<stateDir>/keys/<stack>). */
  readonly stateDir: string;
  readonly log: (line: string) => void;
  readonly out: (text: string) => void;
  readonly now: () => Date;
}

const program = async () => (await import("../../stacks/program")).main();
const local = () => import("./local");

function refuseOrThrow(stack: string): void {
  const refusal = ephemeralRefusal(stack);
  if (refusal) throw new Error(refusal);
}

async function stackNames(ctx: EphemeralContext): Promise<string[]> {
  const ws = await automation.LocalWorkspace.create({ workDir: ctx.workDir, envVars: ctx.engine.env, pulumiCommand: ctx.engine.command, pulumiHome: ctx.engine.env.PULUMI_HOME });
  return (await ws.listStacks()).map((s) => s.name);
}

async function existing(ctx: EphemeralContext, name: string, what: string): Promise<Stack> {
  if (!(await stackNames(ctx)).includes(name)) throw new Error(`${what}: there is no stack ${name} in this backend; fix: scripts/stack ephemeral create ${name}`);
  return ctx.engine.stack(name, program);
}


function gitEmail(): string | undefined {
  try {
    return execFileSync("git", ["config", "user.email"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function ephemeralCreate(ctx: EphemeralContext, name: string, opts: { pr?: string; creator?: string; ttl?: string; id?: string } = {}): Promise<void> {
  refuseOrThrow(name);
  if (opts.id !== undefined && name !== "local") throw new Error(`--id names a local stack's objects; ${name} takes its names from its number`);
  const ttlMs = parseTtl(opts.ttl ?? DEFAULT_TTL);
  const pr = opts.pr ?? (name.startsWith("pr-") ? name.slice(3) : undefined);
  if (pr !== undefined && !/^[1-9][0-9]*$/.test(pr)) throw new Error(`--pr must be a pull-request number, found "${pr}"`);
  await ensureStackFile(name, ctx.workDir, opts.id);
  const stack = await ctx.engine.stack(name, program);
  await ensureSecrets(stack, name, ctx.stateDir);
  const before = metaOf(name, await stack.listTags());
  // Created once: a second create (a re-run CI job) keeps the original time, so the TTL holds.
  const meta = { pr: pr === undefined ? undefined : Number(pr), creator: opts.creator ?? before?.creator ?? defaultCreator(process.env, gitEmail, () => os.userInfo().username), createdAt: before?.createdAt ?? ctx.now(), ttlMs: opts.ttl ? ttlMs : before?.ttlMs ?? ttlMs };
  for (const [k, v] of Object.entries(tagsOf(meta))) await stack.setTag(k, v);
  ctx.log(`${name} is ephemeral: PR ${meta.pr ?? "none"}, created by ${meta.creator} at ${meta.createdAt.toISOString()}, expires ${expiresAt(meta).toISOString()}`);
}

async function ephemeralStack(ctx: EphemeralContext, name: string, what: string): Promise<Stack> {
  refuseOrThrow(name);
  const stack = await existing(ctx, name, what);
  if (!metaOf(name, await stack.listTags())) throw new Error(`${what}: ${name} was not made by ephemeral create (no ${TAGS.ephemeral} tag); fix: scripts/stack ephemeral create ${name}`);
  return stack;
}

export async function ephemeralUp(ctx: EphemeralContext, name: string, opts: { policyPack?: boolean } = {}): Promise<void> {
  const stack = await ephemeralStack(ctx, name, "ephemeral up");
  await ensureStackFile(name, ctx.workDir);
  if (name === "local") await prepareLocal(stack);
  await stack.up({ onOutput: ctx.out, ...(opts.policyPack ? { policyPacks: [path.join(ROOT, "policy", "analyzer")] } : {}) });
}

/** The services a flavour's leftovers live on: the data plane's (local), or the Docker engine (pr-<n>). */
async function servicesOf(name: string): Promise<Services> {
  if (flavourOf(name) === "docker") return { docker: true };
  const env = (await local()).readDataplaneEnv();
  // The data plane's broker refuses anonymous clients: the stack's topics and groups are looked at as its admin.
  const auth = env as unknown as { KAFKA_ADMIN_USER?: string; KAFKA_ADMIN_PASSWORD?: string };
  const kafkaSasl = auth.KAFKA_ADMIN_USER && auth.KAFKA_ADMIN_PASSWORD ? { mechanism: "SCRAM-SHA-512" as const, username: auth.KAFKA_ADMIN_USER, password: auth.KAFKA_ADMIN_PASSWORD } : undefined;
  return { postgresUrl: env.POSTGRES_URL, kafkaBrokers: env.KAFKA_BROKERS.split(","), kafkaSasl, connectUrl: connectUrlWithCredentials(env), mongoUrl: env.MONGODB_URL, kubeconfig: env.KUBECONFIG };
}


export async function ephemeralTest(ctx: EphemeralContext, name: string, opts: { timeoutMs?: number; table?: string } = {}): Promise<SmokeResult> {
  const stack = await ephemeralStack(ctx, name, "ephemeral test");
  const config = await configOf(stack, name);
  const outputs = await stack.outputs();
  const capture = opts.table ? config.captures.find((c) => c.table === opts.table) : config.captures[0];
  if (!capture) throw new Error(`ephemeral test: ${opts.table} is not captured by ${name}; captured: ${config.captures.map((c) => c.table).join(", ")}`);
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const f = footprintOf(config);
  const needed = flavourOf(name) === "docker" ? ["postgresUrl", "mongodbUrl", "kongProxyUrl"] : ["workerConfig"];
  const absent = needed.filter((k) => outputs[k]?.value === undefined);
  if (absent.length > 0) throw new Error(`ephemeral test: ${name} has no ${absent.join(", ")} output; it is not deployed; fix: scripts/stack ephemeral up ${name}`);
  if (flavourOf(name) === "docker") {
    const target: SmokeTarget = {
      postgresUrl: String(outputs.postgresUrl?.value), mongoUrl: String(outputs.mongodbUrl?.value), mongoDatabase: config.mongodb.database, capture,
      connectUrl: outputs.connectUrl?.value as string | undefined, connector: f.connector, slot: f.slot, kong: { url: String(outputs.kongProxyUrl?.value) },
    };
    return smokeTest(target, timeoutMs, ctx.log);
  }
  // kwok schedules pods but runs no container: the sync worker runs here, as its pod would, with
  // the config the stack rendered (the workerConfig output) and the store the stack points at.
  const env = (await local()).readDataplaneEnv();
  const launch = await localLaunch(stack, name, "ephemeral test");
  const mongoUrl = launch.mongoUrl;
  const spec = workerProcess("sync", launch, { metricsPort: await freePort() });
  const logFile = path.join(ctx.stateDir, `smoke-${name}-sync.log`);
  fs.mkdirSync(ctx.stateDir, { recursive: true });
  const worker = spawn(spec.command, spec.args, { cwd: ROOT, env: spec.env, stdio: ["ignore", "ignore", fs.openSync(logFile, "w")] });
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  try {
    return await smokeTest({
      postgresUrl: env.POSTGRES_URL, mongoUrl, mongoDatabase: config.mongodb.database, capture, connectUrl: connectUrlWithCredentials(env), connector: f.connector, slot: f.slot,
      kong: { skipped: "the local cluster's kwok nodes run no containers, so no gateway answers" },
      workerLog: () => fs.readFileSync(logFile, "utf8").split("\n").slice(-15).join("\n"),
    }, timeoutMs, ctx.log);
  } finally {
    worker.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
  }
}

async function waitNamespaceGone(kubeconfig: string, namespace: string, timeoutMs = 180_000): Promise<void> {
  const kube = kubeClient(kubeconfig);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await namespacePhase(kube, namespace)) !== undefined) await new Promise((r) => setTimeout(r, 1_000));
}

/**
 * Destroys an ephemeral stack in a safe order and checks that nothing is left. Returns the
 * leftovers: none means the stack and its file are removed; any keeps the stack, so a second
 * destroy finishes once they are dealt with.
 */
export async function ephemeralDestroy(ctx: EphemeralContext, name: string, opts: { ifExists?: boolean } = {}): Promise<Leftover[]> {
  refuseOrThrow(name);
  if (opts.ifExists && !(await stackNames(ctx)).includes(name)) {
    ctx.log(`${name}: no such stack in this backend; nothing to destroy`);
    return [];
  }
  const stack = await existing(ctx, name, "ephemeral destroy");
  const config = await configOf(stack, name);
  const f = footprintOf(config);
  const services = await servicesOf(name);
  // The engine deletes in dependency order: the connector before the slot and publication it reads.
  await stack.destroy({ onOutput: ctx.out });
  const problems: Leftover[] = [];
  if (flavourOf(name) === "kubernetes") {
    // The CDC source and topics were the data plane's ("existing" to the stack): removed here, in
    // order. A slot is dropped only once its connector is gone and nobody streams from it.
    const connector = services.connectUrl ? await waitConnectorGone(services.connectUrl, f.connector) : undefined;
    const slot = !connector && services.postgresUrl ? await waitSlotInactive(services.postgresUrl, f.slot) : undefined;
    if (connector || slot) ctx.log(`not dropping the slot and publication: ${connector ?? slot}`);
    else await (await local()).removeExistingSources((await local()).readDataplaneEnv(), config);
    if (services.kafkaBrokers) await deleteGroups(services.kafkaBrokers, f.topicPrefix, services.kafkaSasl).catch((e: Error) => ctx.log(`consumer groups: ${e.message}`));
    if (services.mongoUrl && f.mongoDatabase) await dropMongoDatabase(services.mongoUrl, f.mongoDatabase);
    if (services.kubeconfig && f.namespace) await waitNamespaceGone(services.kubeconfig, f.namespace);
  }
  problems.push(...leftovers(await observe(f, services), f, flavourOf(name) === "kubernetes" ? "the data plane's PostgreSQL" : "PostgreSQL"));
  ctx.log(formatLeftovers(name, problems));
  if (problems.length === 0) {
    await stack.workspace.removeStack(name);
    fs.rmSync(path.join(ctx.workDir, "stacks", `Pulumi.${name}.yaml`), { force: true });
    fs.rmSync(path.join(ctx.stateDir, "keys", name), { recursive: true, force: true });
    ctx.log(`${name} removed`);
  }
  return problems;
}

export interface SweepResult {
  readonly swept: string[];
  readonly kept: string[];
  readonly failed: { stack: string; reason: string }[];
}

export async function ephemeralSweep(ctx: EphemeralContext, opts: { dryRun?: boolean; now?: Date } = {}): Promise<SweepResult> {
  const now = opts.now ?? ctx.now();
  const result: SweepResult = { swept: [], kept: [], failed: [] };
  for (const name of await stackNames(ctx)) {
    const stack = await ctx.engine.stack(name, program);
    let meta;
    try {
      meta = metaOf(name, await stack.listTags());
    } catch (e) {
      result.failed.push({ stack: name, reason: (e as Error).message });
      continue;
    }
    if (!meta) continue;
    const refusal = ephemeralRefusal(name);
    if (refusal) {
      // A tag cannot make staging or prod disposable.
      result.failed.push({ stack: name, reason: refusal });
      continue;
    }
    if (!isExpired(meta, now)) {
      result.kept.push(name);
      ctx.log(`${name}: kept until ${expiresAt(meta).toISOString()}`);
      continue;
    }
    ctx.log(`${name}: expired at ${expiresAt(meta).toISOString()} (PR ${meta.pr ?? "none"}, ${meta.creator})${opts.dryRun ? "; would destroy it" : "; destroying it"}`);
    if (opts.dryRun) {
      result.swept.push(name);
      continue;
    }
    try {
      const left = await ephemeralDestroy(ctx, name);
      if (left.length === 0) result.swept.push(name);
      else result.failed.push({ stack: name, reason: `${left.length} leftovers: ${left.map((l) => `${l.kind} ${l.name}`).join(", ")}` });
    } catch (e) {
      result.failed.push({ stack: name, reason: (e as Error).message });
    }
  }
  return result;
}

/** The CLI: the user's backend, the repository's stack files, .pulumi-state/ for keys. */
export async function runEphemeral(p: Parsed): Promise<number> {
  const sub = p.sub as string;
  if (sub !== "sweep") refuseOrThrow(p.stack);
  if (flavourOf(p.stack) === "docker" && sub !== "sweep" && sub !== "create") {
    const { dockerAnswers } = await import("./workspace");
    if (!dockerAnswers()) throw new Error(`no Docker engine answers (docker info failed); ${p.stack} runs on the local Docker engine; on this machine use the local stack`);
  }
  const { openUserEngine } = await import("./stack-setup");
  // A sweep may meet the local stack: the engine gets the local cluster's credentials when there is one.
  // It destroys pr-<n> stacks, so it opens their secrets (PULUMI_CONFIG_PASSPHRASE_PR), never another stack's.
  const sweepSecrets = { secretsOf: "pr-<n>" };
  const engine = sub === "sweep" ? await openUserEngine("local", sweepSecrets).catch(() => openUserEngine("dev", sweepSecrets)) : await openUserEngine(p.stack);
  const ctx: EphemeralContext = { engine, workDir: ROOT, stateDir: path.join(ROOT, ".pulumi-state"), log: stackLog, out: print, now: () => new Date() };
  switch (sub) {
    case "create":
      await ephemeralCreate(ctx, p.stack, { pr: p.options.pr, creator: p.options.creator, ttl: p.options.ttl, id: p.options.id });
      return 0;
    case "up":
      await ephemeralUp(ctx, p.stack, { policyPack: p.flags.has("--policy-pack") });
      return 0;
    case "test": {
      const timeout = p.options.timeout ? parseDuration(p.options.timeout, "--timeout") : undefined;
      const r = await ephemeralTest(ctx, p.stack, { timeoutMs: timeout, table: p.options.table });
      print(`${r.lines.join("\n")}\n`);
      return r.ok ? 0 : 1;
    }
    case "destroy":
      return (await ephemeralDestroy(ctx, p.stack, { ifExists: p.flags.has("--if-exists") })).length === 0 ? 0 : 1;
    case "sweep": {
      const now = p.options.now ? new Date(p.options.now) : undefined;
      if (now && Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO date, found "${p.options.now}"`);
      const r = await ephemeralSweep(ctx, { dryRun: p.flags.has("--dry-run"), now });
      print(`swept: ${r.swept.join(", ") || "none"}\nkept: ${r.kept.join(", ") || "none"}\n${r.failed.map((x) => `failed: ${x.stack}: ${x.reason}\n`).join("")}`);
      return r.failed.length === 0 ? 0 : 1;
    }
  }
  throw new UsageError(`unknown ephemeral command "${sub}"`);
}
