import { renameSync, writeFileSync } from "node:fs";
import { MongoClient } from "mongodb";
import pg from "pg";
import type { DecodeOptions } from "../decode/connect.js";
import { mongoOptions } from "../mongo/client.js";
import { decodeOptionsFor, storeFlavor } from "../mongo/compat.js";
import { ConfigError, loadConfig, requireEnv, type RuntimeConfig } from "../runtime/config.js";
import { startHttp } from "../runtime/http.js";
import { jsonLogger } from "../runtime/log.js";
import { parseCron, type CronSchedule } from "./cron.js";
import { failedReport, reconcileTable, type TableReport } from "./reconcile.js";
import { ReconcileMetrics, summarize } from "./report.js";

const log = jsonLogger("reconciler");

/**
 * Entrypoint: `node dist/reconciler/main.js [--config file] [--repair] [--metrics-file path] [--schedule "cron" [--run-at-start]]`.
 * Each run prints one JSON report line on stdout. Without --schedule it runs once; with it, it
 * stays up, runs at each matching UTC minute (and at start with --run-at-start), and serves
 * /metrics on metrics.port, the way the sync worker is scraped: the stack deploys it that way on
 * both targets (components/workers/deployment.ts). A textfile (--metrics-file) only helps where
 * a node_exporter reads that path, which a container's filesystem is not.
 * Exit 0 when runs completed (divergences are reported and alerted on through metrics, not
 * through the exit code), 1 on failure, 2 on bad config.
 */
async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let config, mongoUrl, postgresUrl, flavor, metricsFile: string | undefined, schedule: CronSchedule | undefined;
  try {
    config = loadConfig(argv, process.env);
    mongoUrl = requireEnv(process.env, "MONGODB_URL", "mongodb://user:pass@host:27017/?replicaSet=rs0");
    postgresUrl = requireEnv(process.env, "POSTGRES_URL", "postgres://reconciler:pass@host:5432/app");
    flavor = storeFlavor(process.env);
    const metricsArg = argValue(argv, "--metrics-file", "a path, e.g. /var/lib/node_exporter/textfile/coexist_reconcile.prom");
    const scheduleArg = argValue(argv, "--schedule", 'a five-field cron expression, e.g. "0 * * * *"');
    if (scheduleArg !== undefined) {
      try {
        schedule = parseCron(scheduleArg);
      } catch (e) {
        throw new ConfigError("--schedule", scheduleArg, (e as Error).message);
      }
    }
    metricsFile = metricsArg ?? process.env.COEXIST_METRICS_FILE;
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(e.message);
      return 2;
    }
    throw e;
  }
  const repair = argv.includes("--repair") || config.reconciler.repair;
  const metrics = new ReconcileMetrics({ processMetrics: schedule !== undefined });
  const once = () => runOnce({ config, mongoUrl, postgresUrl, decode: decodeOptionsFor(flavor), repair, metricsFile, metrics });
  if (!schedule) {
    await once();
    return 0;
  }

  let lastRunOk = true;
  const http = await startHttp(config.metrics.port, metrics.registry, { live: () => true, ready: () => lastRunOk }, process.env.COEXIST_METRICS_HOST ?? "0.0.0.0");
  log.info("serving metrics", { port: (http.address() as { port: number }).port });
  const guarded = () =>
    once().then(
      () => (lastRunOk = true),
      (e: Error) => {
        // A failed run is logged, counted and retried at the next slot; the process stays up.
        lastRunOk = false;
        metrics.failures.inc();
        log.error("run failed", { error: e.message });
      },
    );

  let stopping = false;
  let wake: (() => void) | undefined;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      stopping = true;
      wake?.();
    });
  }
  if (argv.includes("--run-at-start")) await guarded();
  while (!stopping) {
    const at = schedule.next(new Date());
    log.info("next run", { at: at.toISOString() });
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(0, at.getTime() - Date.now()));
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    if (stopping) break;
    await guarded();
  }
  http.close();
  return 0;
}

interface RunInput {
  readonly config: RuntimeConfig;
  readonly mongoUrl: string;
  readonly postgresUrl: string;
  readonly decode: DecodeOptions;
  readonly repair: boolean;
  readonly metricsFile: string | undefined;
  readonly metrics: ReconcileMetrics;
}

async function runOnce(input: RunInput): Promise<void> {
  const startedAt = new Date();
  const timeoutMs = input.config.reconciler.statementTimeoutMs;
  // Every PostgreSQL wait is bounded too; no transaction is left open between pages.
  const pool = new pg.Pool({
    connectionString: input.postgresUrl,
    max: 2,
    application_name: "coexist-reconciler",
    connectionTimeoutMillis: Math.min(timeoutMs, 30_000),
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 5_000,
    idle_in_transaction_session_timeout: timeoutMs,
  });
  const mongo = new MongoClient(input.mongoUrl, mongoOptions("coexist-reconciler", input.config.mongodb.timeoutMs));
  input.metrics.running.set(1);
  try {
    await mongo.connect();
    const db = mongo.db(input.config.mongodb.database);
    const tables: TableReport[] = [];
    for (const capture of input.config.captures) {
      log.info("scanning", { table: capture.table, collection: capture.collection, repair: input.repair });
      const ctx = { pool, db, batchSize: input.config.reconciler.batchSize, repair: input.repair, decode: input.decode, log, generation: input.config.source.generation };
      // One table's failure (a column type it cannot read, a lost connection) is reported and
      // counted; the other tables are still reconciled (issue 14 §1.8).
      try {
        tables.push(await reconcileTable(ctx, capture));
      } catch (e) {
        log.error("table not reconciled", { table: capture.table, error: (e as Error).message });
        tables.push(failedReport(capture, e));
      }
    }
    const run = summarize(tables, startedAt, input.repair);
    process.stdout.write(`${JSON.stringify(run)}\n`);
    input.metrics.record(run);
    if (input.metricsFile) {
      // Write then rename: the textfile collector must never read a half-written file.
      writeFileSync(`${input.metricsFile}.tmp`, await input.metrics.registry.metrics());
      renameSync(`${input.metricsFile}.tmp`, input.metricsFile);
    }
  } finally {
    input.metrics.running.set(0);
    await Promise.allSettled([pool.end(), mongo.close()]);
  }
}

function argValue(argv: readonly string[], flag: string, example: string): string | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new ConfigError(flag, v ?? null, `pass ${example}`);
  return v;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    log.error("fatal", { error: e.message, stack: e.stack });
    process.exit(1);
  },
);
