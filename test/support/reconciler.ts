/** Runs the reconciler's entrypoint once against a pipeline, as the image runs it. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pipeline } from "./pipeline";
import { STORE_ENV } from "./pipeline";
import { WorkerProcess } from "./worker-process";

export interface TableReport {
  table: string;
  rows: number;
  missing: number;
  extra: number;
  different: number;
  ahead: number;
  changedDuringScan: number;
  repaired: { missing: number; extra: number; different: number; ahead: number };
  samples: { missing: string[]; extra: string[]; different: string[]; ahead: string[] };
}

export interface Report {
  repair: boolean;
  tables: TableReport[];
}

export async function reconcile(p: Pipeline, ...args: string[]): Promise<{ report: Report; metrics: string }> {
  const metricsFile = join(tmpdir(), `coexist-it-${p.id}-reconcile.prom`);
  const run = WorkerProcess.spawn(
    "workers/src/reconciler/main.ts",
    ["--metrics-file", metricsFile, ...args],
    { COEXIST_CONFIG: JSON.stringify(p.workerConfig), MONGODB_URL: p.env.MONGODB_URL, POSTGRES_URL: p.env.POSTGRES_URL, ...STORE_ENV },
    join(tmpdir(), `coexist-it-${p.id}-reconciler.log`),
  );
  const code = await run.exited;
  assert.equal(code, 0, `reconciler failed: ${run.tail()}`);
  return { report: JSON.parse(run.stdout.join("")) as Report, metrics: readFileSync(metricsFile, "utf8") };
}

export const tableReport = (r: Report, table = "public.orders"): TableReport | undefined => r.tables.find((t) => t.table === table);
