/**
 * `npm start` (scripts/start): with a Docker engine, `scripts/stack up dev`. Without one, the local
 * data plane and its control plane, the `local` stack through the real engine, and the stack's
 * workers as local processes (restarted with backoff when they die), with a live view of their
 * metrics. Ctrl-C stops the processes and leaves the stack deployed; `npm stop` removes it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DemoWriter, parseSchema } from "./demo";
import { deriveView, parseMetrics, renderPlain, renderScreen, type Restarts, type Scrape } from "./live";

const ROOT = path.resolve(__dirname, "..", "..");
const say = (line: string): void => void process.stderr.write(`[start] ${line}\n`);

export interface StartArgs {
  demo?: number; // statements per second
  once?: boolean; // print one plain view line and keep going (tests read lines)
}

export const START_USAGE = `Usage: npm start [-- --demo [rate]]
  --demo [rate]   also run a demo writer: inserts, updates and deletes on the captured tables,
                  rate statements per second (default 20, 1 to 1000)
`;

export function parseStartArgs(argv: readonly string[]): StartArgs {
  const out: StartArgs = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--demo") {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith("--")) {
        if (!/^[1-9][0-9]{0,3}$/.test(next) || Number(next) > 1000) throw new Error(`--demo rate must be a number of statements per second from 1 to 1000, found "${next}"`);
        out.demo = Number(next);
        i++;
      } else out.demo = 20;
    } else throw new Error(`unknown argument "${a}"\n${START_USAGE}`);
  }
  return out;
}

/** Backoff before the n-th restart (1-based): 1 s doubling, at most 30 s. */
export function backoffMs(restarts: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, restarts - 1));
}

function step(label: string, cmd: string, args: string[]): void {
  const t = Date.now();
  say(`${label}: ${[cmd, ...args].join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`${label} failed (exit ${r.status ?? r.signal}); see the lines above`);
  say(`${label}: done in ${((Date.now() - t) / 1000).toFixed(0)}s`);
}

function dockerAnswers(): boolean {
  return spawnSync("docker", ["info"], { stdio: "ignore", timeout: 10_000 }).status === 0;
}

class Supervised {
  child?: ChildProcess;
  restarts = 0;
  stopping = false;
  #startedAt = 0;
  #timer?: NodeJS.Timeout;
  constructor(
    readonly name: string,
    private readonly spec: { command: string; args: string[]; env: Record<string, string> },
    private readonly logFile: string,
  ) {}
  start(): void {
    const out = fs.openSync(this.logFile, "a");
    this.#startedAt = Date.now();
    const child = spawn(this.spec.command, this.spec.args, { cwd: ROOT, env: this.spec.env, stdio: ["ignore", out, out] });
    fs.closeSync(out);
    this.child = child;
    child.once("exit", (code, signal) => {
      if (this.stopping) return;
      // A process that ran a minute is healthy again: its backoff starts over.
      if (Date.now() - this.#startedAt > 60_000) this.restarts = 0;
      this.restarts++;
      const wait = backoffMs(this.restarts);
      say(`${this.name} exited (${signal ?? `code ${code}`}); restart ${this.restarts} in ${wait / 1000}s (log: ${path.relative(ROOT, this.logFile)})`);
      this.#timer = setTimeout(() => this.start(), wait);
    });
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const c = this.child;
    if (!c || !this.running) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (this.running) c.kill("SIGKILL");
  }
}

async function scrape(port: number): Promise<ReturnType<typeof parseMetrics> | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) });
    return r.ok ? parseMetrics(await r.text()) : undefined;
  } catch {
    return undefined;
  }
}

export async function start(args: StartArgs): Promise<number> {
  if (dockerAnswers()) {
    say("a Docker engine answers: deploying dev (scripts/stack up dev)");
    const r = spawnSync(path.join(ROOT, "scripts", "stack"), ["up", "dev"], { cwd: ROOT, stdio: "inherit" });
    return r.status ?? 1;
  }
  const t0 = Date.now();
  say("no Docker engine: the local data plane, its Kubernetes control plane and the local stack");
  step("install (cached builds are reused)", path.join(ROOT, "scripts", "dataplane"), ["install", "--kubernetes"]);
  step("data plane up", path.join(ROOT, "scripts", "dataplane"), ["up", "--kubernetes"]);
  step("deploy local", path.join(ROOT, "scripts", "stack"), ["up", "local"]);

  const { openUserEngine } = await import("../stack.d/cli");
  const { main } = await import("../../stacks/program");
  const { configOf, freePort, localLaunch, workerProcess } = await import("../stack.d/local-workers");
  const { footprintOf } = await import("../stack.d/ephemeral-footprint");
  const { readDataplaneEnv } = await import("../stack.d/local");
  const engine = await openUserEngine("local");
  const stack = await engine.stack("local", async () => main());
  const config = await configOf(stack, "local");
  const launch = await localLaunch(stack, "local", "npm start");
  const env = readDataplaneEnv();
  const f = footprintOf(config);
  const logs = path.join(env.DATAPLANE_DIR ?? path.join(ROOT, ".dataplane"), "logs");
  fs.mkdirSync(logs, { recursive: true });
  const ports = { sync: await freePort(), reconciler: await freePort(), slot: await freePort() };
  const procs = (["sync", "reconciler", "slot"] as const).map(
    (k) => new Supervised(k, workerProcess(k, launch, { metricsPort: ports[k], postgresUrl: env.POSTGRES_URL, slot: f.slot }), path.join(logs, `start-${k}.log`)),
  );
  for (const p of procs) p.start();

  const dpDir = env.DATAPLANE_DIR ?? path.join(ROOT, ".dataplane");
  const header = [
    `coexist local: flowing ${((Date.now() - t0) / 1000).toFixed(0)}s after npm start`,
    `  write to   PostgreSQL  ${env.POSTGRES_URL.replace(/:\/\/([^:@]+):[^@]*@/, "://$1:***@")}  (password: PGPASSWORD in ${path.join(dpDir, "env")})`,
    `  read from  store       ${launch.mongoUrl.replace(/:\/\/([^:@]+):[^@]*@/, "://$1:***@")}  database ${config.mongodb.database}`,
    `  Connect    REST        ${env.CONNECT_URL}  (basic auth: CONNECT_USER / CONNECT_PASSWORD in ${path.join(dpDir, "env")})`,
    `  metrics    sync http://127.0.0.1:${ports.sync}/metrics  reconciler http://127.0.0.1:${ports.reconciler}/metrics  slot http://127.0.0.1:${ports.slot}/metrics`,
    `  logs       ${path.relative(ROOT, logs)}/start-{sync,reconciler,slot}.log`,
  ];
  for (const h of header) say(h.trim());

  let demoTimer: NodeJS.Timeout | undefined;
  let demoPool: import("pg").Pool | undefined;
  let demoCount = 0;
  if (args.demo) {
    const { Pool } = await import("pg");
    const schema = parseSchema(fs.readFileSync(path.join(ROOT, "components", "postgres", "demo-schema.sql"), "utf8"));
    const writer = new DemoWriter(config.captures, schema, Math.random, Date.now());
    demoPool = new Pool({ connectionString: env.POSTGRES_URL, max: 2 });
    say(`demo writer: ${args.demo} statements/s on ${config.captures.map((c) => c.table).join(", ")}`);
    let busy = false;
    demoTimer = setInterval(() => {
      if (busy) return;
      busy = true;
      const s = writer.next();
      demoPool!.query(s.sql, s.params).then(
        () => void demoCount++,
        (e: Error) => say(`demo writer: ${s.op} on ${s.table} failed: ${e.message}`),
      ).finally(() => (busy = false));
    }, 1000 / args.demo);
  }

  const tty = process.stdout.isTTY === true;
  let before: Scrape | undefined;
  const tick = async () => {
    const now: Scrape = { at: Date.now(), worker: await scrape(ports.sync), slot: await scrape(ports.slot), reconciler: await scrape(ports.reconciler) };
    const view = deriveView(now, before);
    if (now.worker) before = now;
    const status: Restarts = Object.fromEntries(procs.map((p) => [p.name, { restarts: p.restarts, running: p.running }]));
    const applied = now.worker?.filter((s) => s.name === "coexist_sync_events_applied_total").reduce((t, s) => t + s.value, 0);
    if (tty) process.stdout.write(renderScreen(view, new Date(), status, [...header, ...(args.demo ? [`  demo       ${demoCount} statements written`] : [])]));
    else process.stdout.write(`${renderPlain(view, new Date())} applied_total=${applied ?? "-"}${args.demo ? ` demo_written=${demoCount}` : ""}\n`);
  };
  const view = setInterval(() => void tick(), 1000);

  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  clearInterval(view);
  if (demoTimer) clearInterval(demoTimer);
  await demoPool?.end();
  say("stopping the processes; the local stack stays deployed (npm stop removes it)");
  await Promise.all(procs.map((p) => p.stop()));
  return 0;
}

/** npm stop: destroy `local` (checking that nothing is left), then stop the data plane. */
export async function stop(): Promise<number> {
  const stackCli = path.join(ROOT, "scripts", "stack");
  const r = spawnSync(stackCli, ["ephemeral", "destroy", "local", "--if-exists"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) {
    say("the local stack's destroy reported leftovers or failed; the data plane stays up so a second npm stop can finish");
    return r.status ?? 1;
  }
  // The test suite shares one data plane between its tests: test/engine-local.test.ts (npm start --demo) keeps it up.
  if (process.env.COEXIST_STOP_KEEP_DATAPLANE === "1") say("COEXIST_STOP_KEEP_DATAPLANE=1: the data plane stays up");
  else step("data plane down", path.join(ROOT, "scripts", "dataplane"), ["down"]);
  return 0;
}

if (require.main === module) {
  const [cmd, ...rest] = process.argv.slice(2);
  (async () => {
    if (cmd === "stop") return stop();
    return start(parseStartArgs(rest));
  })().then(
    (code) => process.exit(code),
    (e: unknown) => {
      say(`error: ${(e as Error).message}`);
      process.exit(1);
    },
  );
}
