/**
 * scripts/dataplane's own lifecycle, on a second data plane with its own state dir, inside a
 * directory that only its owner can traverse (as a clone under root's 0700 home is): `up
 * --kubernetes` brings every service up there, and `down` leaves no process behind.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { pg } from "../workers/src/testing/deps.js";
import { ROOT } from "./support/dataplane";
import { kubectlOk, loadKubeEnv } from "./support/kubernetes";

function dataplane(stateDir: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(join(ROOT, "scripts", "dataplane"), args, { env: { ...process.env, COEXIST_DATAPLANE_DIR: stateDir }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** Running, or stopped; not a zombie (an exited process its new parent has not reaped yet). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Processes whose command line names the path (what a lost pidfile would leave running). */
function processesNaming(path: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      if (cmdline.includes(path)) out.push(`${entry}: ${cmdline.slice(0, 160)}`);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

function envValue(stateDir: string, key: string): string {
  const m = new RegExp(`^export ${key}='(.*)'$`, "m").exec(readFileSync(join(stateDir, "env"), "utf8"));
  assert.ok(m, `${key} missing from ${stateDir}/env`);
  return m[1] as string;
}

describe("a data plane whose state dir only its owner can traverse", { timeout: 900_000 }, () => {
  const parent = mkdtempSync(join(tmpdir(), "coexist-owner-only-"));
  const state = join(parent, "state");
  let up: { code: number; output: string };

  before(async () => {
    chmodSync(parent, 0o700);
    up = await dataplane(state, ["up", "--kubernetes"]);
  });

  after(async () => {
    await dataplane(state, ["down", "--purge"]);
    rmSync(parent, { recursive: true, force: true });
  });

  it("comes up with PostgreSQL running as its own OS user, without opening the owner's directory", async () => {
    assert.equal(up.code, 0, `up --kubernetes failed:\n${up.output.slice(-3000)}`);
    assert.equal(statSync(parent).mode & 0o777, 0o700, "the parent dir was loosened");
    if (process.getuid?.() === 0) {
      // The situation of issue 8 point 16: the OS user that runs Postgres cannot enter the parent.
      assert.throws(() => execFileSync("runuser", ["-u", "postgres", "--", "test", "-x", parent], { stdio: "ignore" }), "postgres can traverse the parent: the test would prove nothing");
    }
    const pool = new pg.Pool({ connectionString: envValue(state, "POSTGRES_URL"), max: 1 });
    try {
      const r = await pool.query("SELECT current_setting('wal_level') AS wal, (SELECT count(*) FROM pg_roles WHERE rolname = 'debezium' AND rolreplication) AS dbz");
      assert.deepEqual(r.rows[0], { wal: "logical", dbz: "1" });
    } finally {
      await pool.end();
    }
    const nodes = await kubectlOk(loadKubeEnv(state), ["get", "nodes", "-o", "name"]);
    assert.equal(nodes.trim().split("\n").length, 3);
  });

  it("is a no-op on a second up --kubernetes while healthy", async () => {
    const again = await dataplane(state, ["up", "--kubernetes"]);
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /already up/);
  });

  it("stops every process on down, leaving none that names its state", async () => {
    const run = join(state, "run");
    const services = ["kafka", "connect", "ferretdb", "etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"];
    const pids = new Map<string, number>();
    for (const s of services) {
      assert.ok(existsSync(join(run, `${s}.pid`)), `no pidfile for ${s}`);
      pids.set(s, Number(readFileSync(join(run, `${s}.pid`), "utf8").trim()));
    }
    // Postgres is started by pg_ctl, not spawn: its postmaster.pid holds the pid.
    const pgDir = realpathSync(join(state, "postgres"));
    pids.set("postgres", Number(readFileSync(join(pgDir, "data", "postmaster.pid"), "utf8").split("\n")[0]));
    const running = () => [...pids].filter(([, pid]) => alive(pid)).map(([s, pid]) => `${s} (${pid})`);
    assert.equal(running().length, pids.size, `not every service was running before down: only ${running().join(", ")}`);

    const down = await dataplane(state, ["down"]);
    assert.equal(down.code, 0, down.output);
    assert.deepEqual(running(), [], `processes survived down:\n${down.output}`);
    assert.deepEqual([...processesNaming(state), ...processesNaming(pgDir)], [], "processes naming the state dir survived down");
  });
});
