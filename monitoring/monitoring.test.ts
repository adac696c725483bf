import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { parse, stringify } from "yaml";
import { SyncMetrics } from "../workers/src/runtime/metrics.js";
import { toSnapshot } from "../workers/src/slot/query.js";
import { renderSlotMetrics, SLOT_METRICS } from "../workers/src/slot/render.js";

/**
 * The alert rules and the dashboard: checked by Prometheus's own promtool (built from the Go
 * module proxy by scripts/toolchain), unit-tested (alerts.test.yaml), and cross-checked against
 * the metric names the slot exporter and the sync worker really export, so a renamed metric
 * cannot leave an alert that never fires.
 */

const ROOT = join(__dirname, "..");
const here = (f: string) => join(__dirname, f);

interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
const rules = (parse(readFileSync(here("alerts.yaml"), "utf8")) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

interface Target { expr: string; refId: string; datasource?: { uid?: string } }
interface Panel { id: number; type: string; title: string; datasource?: { uid?: string }; targets?: Target[] }
const dashboard = JSON.parse(readFileSync(here("dashboard.json"), "utf8")) as { uid: string; panels: Panel[]; templating: { list: { name: string }[] } };
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));

let promtool: string;

function runPromtool(args: string[], input?: string): string {
  try {
    return execFileSync(promtool, args, { cwd: __dirname, encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(" ")} failed:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
  }
}

/** Every exported series name: the slot exporter's families and the worker's registry (histograms as _bucket, _sum, _count). */
async function exportedNames(): Promise<Set<string>> {
  const names = new Set<string>(Object.values(SLOT_METRICS).map((m) => m.name));
  for (const m of await new SyncMetrics().registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${m.name}${s}`);
  }
  return names;
}

const metricNames = (expr: string) => [...new Set(expr.match(/\bcoexist_[a-z0-9_]+/g) ?? [])];

before(() => {
  // Cached after the first build (about 30 minutes cold on 2 cores).
  const line = execFileSync(join(ROOT, "scripts", "toolchain"), ["ensure", "promtool"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  promtool = join(line.split(" ")[1] ?? "", "promtool");
});

describe("alert rules", () => {
  it("pass promtool's rule check", () => {
    assert.match(runPromtool(["check", "rules", "alerts.yaml"]), /SUCCESS: \d+ rules found/);
  });

  it("fire and stay silent as their promtool unit tests expect", () => {
    assert.match(runPromtool(["test", "rules", "alerts.test.yaml"]), /SUCCESS/);
  });

  it("cover the slot's retained share of max_slot_wal_keep_size, inactivity, unreserved and lost WAL, and the worker's lag and dead letters", () => {
    const names = rules.map((r) => r.alert);
    for (const a of ["CoexistSlotRetainedWalHigh", "CoexistSlotInactive", "CoexistSlotWalUnreserved", "CoexistSlotLost", "CoexistSyncConsumerLagHigh", "CoexistSyncDeadLetters"]) {
      assert.ok(names.includes(a), `alerts.yaml has ${a}`);
    }
    const share = rules.find((r) => r.alert === "CoexistSlotRetainedWalHigh")!;
    assert.match(share.expr, /coexist_slot_retained_wal_bytes[\s\S]*\/[\s\S]*coexist_slot_max_wal_keep_size_bytes/);
  });

  it("each carry a severity, a summary and a description", () => {
    for (const r of rules) {
      assert.ok(["warning", "critical"].includes(r.labels?.severity ?? ""), `${r.alert}: severity`);
      assert.ok(r.annotations?.summary && r.annotations.description, `${r.alert}: summary and description`);
    }
  });

  it("use only metrics the slot exporter and the sync worker export", async () => {
    const exported = await exportedNames();
    for (const r of rules) for (const m of metricNames(r.expr)) assert.ok(exported.has(m), `${r.alert} uses ${m}, which nothing exports`);
  });
});

describe("dashboard", () => {
  it("has unique panel ids, a stable uid, and the datasource, slot and job variables", () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(dashboard.uid, "coexist-cdc");
    assert.deepEqual(dashboard.templating.list.map((v) => v.name).sort(), ["datasource", "job", "slot"]);
  });

  it("queries through the datasource variable only", () => {
    for (const { panel, target } of queries) {
      assert.equal(panel.datasource?.uid, "${datasource}", `panel ${panel.title}`);
      assert.equal(target.datasource?.uid, "${datasource}", `panel ${panel.title} ${target.refId}`);
    }
  });

  it("shows every slot and worker metric family, and uses no metric that is not exported", async () => {
    const exported = await exportedNames();
    const used = new Set(queries.flatMap(({ target }) => metricNames(target.expr)));
    for (const m of used) assert.ok(exported.has(m), `the dashboard uses ${m}, which nothing exports`);
    for (const m of Object.values(SLOT_METRICS)) {
      if (m.name === SLOT_METRICS.scrapeSeconds.name) continue;
      assert.ok(used.has(m.name), `the dashboard shows ${m.name}`);
    }
    for (const m of ["coexist_sync_events_applied_total", "coexist_sync_consumer_lag", "coexist_sync_end_to_end_lag_seconds_bucket", "coexist_sync_dlq_total", "coexist_sync_errors_total"]) {
      assert.ok(used.has(m), `the dashboard shows ${m}`);
    }
  });

  it("has PromQL that Prometheus parses (checked by promtool as recording rules)", () => {
    const group = {
      name: "dashboard",
      rules: queries.map(({ panel, target }) => ({
        record: `dashboard:panel${panel.id}_${target.refId.toLowerCase()}`,
        // Grafana's variables, as Grafana would interpolate them.
        expr: target.expr.replaceAll("$__rate_interval", "5m").replaceAll("$slot", ".*").replaceAll("$job", ".*"),
      })),
    };
    const file = join(mkdtempSync(join(tmpdir(), "coexist-dashboard-")), "dashboard-rules.yaml");
    writeFileSync(file, stringify({ groups: [group] }));
    assert.match(runPromtool(["check", "rules", file]), new RegExp(`SUCCESS: ${queries.length} rules found`));
  });
});

describe("slot exporter output", () => {
  it("passes promtool's metrics lint", () => {
    const text = renderSlotMetrics(["coexist_dev"], {
      ok: true,
      seconds: 0.01,
      snapshot: toSnapshot([{ max_keep: "1073741824", slot_name: "coexist_dev", active: true, wal_status: "reserved", safe_wal_size: "1000", retained: "2000", confirmed_lag: "10" }]),
    });
    runPromtool(["check", "metrics"], text);
  });
});
