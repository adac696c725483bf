import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import { ROOT } from "./support/dataplane";

/**
 * npm start without Docker, non-TTY, with --demo: the demo writer's changes reach the store (the
 * worker's own applied counter, printed on each plain view line), Ctrl-C (SIGINT) stops the
 * processes, and npm stop destroys local with the leftover check finding nothing. The suite's
 * data plane is reused: start's `dataplane up` is a no-op when it is up, and
 * COEXIST_STOP_KEEP_DATAPLANE=1 keeps npm stop from taking it down for the tests that follow.
 */
test("npm start --demo: >= 100 changes reach the store, SIGINT stops the processes, npm stop leaves nothing", { timeout: 600_000 }, async () => {
  const t0 = Date.now();
  const child = spawn(path.join(ROOT, "scripts", "start"), ["--demo", "50"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: false });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  try {
    const deadline = Date.now() + 480_000;
    let applied = 0;
    while (Date.now() < deadline && child.exitCode === null) {
      const last = [...out.matchAll(/applied_total=(\d+)/g)].at(-1);
      applied = last ? Number(last[1]) : 0;
      if (applied >= 100) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    assert.equal(child.exitCode, null, `npm start exited early:\n${err.slice(-3000)}`);
    assert.ok(applied >= 100, `only ${applied} changes reached the store in time\n${out.split("\n").slice(-5).join("\n")}\n${err.slice(-3000)}`);
    // Non-TTY: plain lines, no ANSI.
    assert.doesNotMatch(out, /\x1b\[/);
    assert.match(err, /write to +PostgreSQL +postgres(ql)?:\/\/[^:]+:\*\*\*@/);
    assert.doesNotMatch(err + out, new RegExp(process.env.PGPASSWORD ?? "never-matches-$^"));
    process.stderr.write(`# npm start --demo: ${applied} changes in the store ${((Date.now() - t0) / 1000).toFixed(0)}s after start\n`);
    // scripts/stack graph local against the engine's own resource list: every resource drawn, none invented.
    const graph = spawnSync(path.join(ROOT, "scripts", "stack"), ["graph", "local"], { cwd: ROOT, encoding: "utf8", timeout: 180_000 });
    assert.equal(graph.status, 0, graph.stderr);
    const { openUserEngine } = await import("../scripts/stack.d/cli");
    const { main } = await import("../stacks/program");
    const engine = await openUserEngine("local");
    const exported = (await (await engine.stack("local", async () => main())).exportStack()) as { deployment: { resources: { urn: string }[] } };
    const names = exported.deployment.resources.map((r) => r.urn.slice(r.urn.lastIndexOf("::") + 2)).sort();
    const drawn = [...graph.stdout.matchAll(/^\s+r\d+\["([^<]+)<br\/>/gm)].map((m) => m[1]!).sort();
    assert.ok(names.length > 10, `the local stack has ${names.length} resources`);
    assert.deepEqual(drawn, names);
    assert.match(graph.stdout, / --> /, "the deployed graph draws dependencies");
  } finally {
    if (child.exitCode === null) child.kill("SIGINT");
  }
  const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 60_000))]);
  assert.equal(code, 0, `npm start did not stop cleanly on SIGINT: ${code}\n${err.slice(-2000)}`);
  assert.match(err, /the local stack stays deployed/);
  const stop = spawnSync(path.join(ROOT, "scripts", "stop"), [], { cwd: ROOT, encoding: "utf8", env: { ...process.env, COEXIST_STOP_KEEP_DATAPLANE: "1" }, timeout: 300_000 });
  assert.equal(stop.status, 0, `npm stop failed:\n${stop.stderr.slice(-3000)}`);
  assert.match(stop.stderr, /local: 0 leftovers/, stop.stderr.slice(-2000));
});
