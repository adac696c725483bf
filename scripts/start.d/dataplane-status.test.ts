// scripts/dataplane status on a fresh clone: no state dir, no ports file, nothing running. It used
// to list the four services and then die in kube_port_of with "PORT_ETCD: unbound variable".
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const script = join(__dirname, "..", "dataplane");

for (const kube of [false, true]) {
  test(`dataplane status on fresh state${kube ? " (a control-plane state dir, no ports file)" : ""} exits 0 and lists every service`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "coexist-status-"));
    const state = join(dir, "dp");
    try {
      if (kube) await run("mkdir", ["-p", join(state, "kubernetes")]);
      const { stdout, stderr } = await run(script, ["status"], {
        env: { ...process.env, COEXIST_DATAPLANE_DIR: state, COEXIST_DATAPLANE_KUBERNETES: "" },
        timeout: 30_000,
      });
      assert.doesNotMatch(stderr, /unbound variable/);
      for (const s of ["postgres", "kafka", "connect", "ferretdb"]) assert.match(stdout, new RegExp(`^${s}\\s+stopped`, "m"));
      if (kube) for (const s of ["etcd", "kube-apiserver", "kwok"]) assert.match(stdout, new RegExp(`^${s}\\s+stopped`, "m"));
      assert.match(stdout, /^state: /m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
