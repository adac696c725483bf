// The `local` stack's workers as local processes: kwok schedules their pods but runs no container,
// so `ephemeral test` and `npm start` run them here, with the config the stack rendered (the
// workerConfig output) and the store the stack points at. Shared by ephemeral.ts and scripts/start.d.
import * as os from "node:os";
import * as path from "node:path";
import { createServer } from "node:net";
import type { Stack } from "@pulumi/pulumi/automation";
import { reconcilerConfig, type WorkerConfig } from "../../components/workers/config";
import type { PlatformConfig } from "../../components/platform-config";
import { ROOT } from "./workspace";

export async function configOf(stack: Stack, name: string): Promise<PlatformConfig> {
  const { parseConfig } = await import("../../stacks/config");
  const all = await stack.getAllConfig();
  return parseConfig(Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.value])), name, Object.entries(all).filter(([, v]) => v.secret).map(([k]) => k));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface LocalLaunch {
  /** The workerConfig output, as rendered by the stack. */
  workerConfig: Record<string, unknown>;
  /** The store the stack points at (coexist:mongodbUrl), else the data plane's. */
  mongoUrl: string;
  /** The worker's Kafka password (the data plane's worker user), when the config names a SCRAM login. */
  kafkaPassword?: string;
}

/** What the deployed `local` stack rendered for its workers; fails naming the fix when it is not deployed. */
export async function localLaunch(stack: Stack, name: string, what: string): Promise<LocalLaunch> {
  const outputs = await stack.outputs();
  if (outputs.workerConfig?.value === undefined) throw new Error(`${what}: ${name} has no workerConfig output; it is not deployed; fix: scripts/stack up ${name}`);
  const all = await stack.getAllConfig();
  const { readDataplaneEnv } = await import("./local");
  const env = readDataplaneEnv() as unknown as Record<string, string | undefined>;
  return { workerConfig: outputs.workerConfig.value as Record<string, unknown>, mongoUrl: all["coexist:mongodbUrl"]?.value ?? env.MONGODB_URL ?? "", kafkaPassword: env.KAFKA_WORKER_PASSWORD };
}

export type WorkerKind = "sync" | "reconciler" | "slot";

export interface ProcessSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * How to run one worker of `local` as a local process: the sync worker and the reconciler with the
 * rendered workerConfig (each its own metrics port), the slot exporter for the stack's slot.
 */
export function workerProcess(kind: WorkerKind, launch: LocalLaunch, opts: { metricsPort: number; postgresUrl?: string; slot?: string; schedule?: string }): ProcessSpec {
  const base = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? os.homedir(), COEXIST_METRICS_HOST: "127.0.0.1" };
  const config = JSON.stringify({ ...launch.workerConfig, metrics: { port: opts.metricsPort } });
  const node = (file: string, ...args: string[]) => ["--import", "tsx", path.join(ROOT, "workers", "src", ...file.split("/")), ...args];
  switch (kind) {
    case "sync":
      return {
        command: process.execPath,
        args: node("sync/main.ts"),
        env: { ...base, COEXIST_CONFIG: config, MONGODB_URL: launch.mongoUrl, COEXIST_MONGODB_COMPAT: "ferretdb-v1", ...(launch.kafkaPassword ? { KAFKA_SASL_PASSWORD: launch.kafkaPassword } : {}) },
      };
    case "reconciler":
      if (!opts.postgresUrl) throw new Error("the reconciler needs a PostgreSQL URL");
      return {
        command: process.execPath,
        args: node("reconciler/main.ts", "--schedule", opts.schedule ?? "* * * * *"),
        // No Kafka login: the reconciler reads only PostgreSQL and the store.
        env: { ...base, COEXIST_CONFIG: JSON.stringify(reconcilerConfig({ ...launch.workerConfig, metrics: { port: opts.metricsPort } } as unknown as WorkerConfig)), MONGODB_URL: launch.mongoUrl, POSTGRES_URL: opts.postgresUrl, COEXIST_MONGODB_COMPAT: "ferretdb-v1" },
      };
    case "slot":
      if (!opts.postgresUrl || !opts.slot) throw new Error("the slot exporter needs a PostgreSQL URL and the slot name");
      return { command: process.execPath, args: node("slot/main.ts"), env: { ...base, POSTGRES_URL: opts.postgresUrl, COEXIST_SLOTS: opts.slot, COEXIST_METRICS_PORT: String(opts.metricsPort) } };
  }
}
