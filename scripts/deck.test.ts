import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import YAML from "yaml";
import { renderKongConfig } from "../components/kong/render";
import { syncRefusal } from "./deck.d/sync";
import type { KongConfig } from "../components/kong/types";

const ROOT = path.resolve(__dirname, "..");
const DECK = path.join(ROOT, "scripts/deck");
const ENVIRONMENTS = ["dev", "pr-123", "local", "staging", "prod"];

/** decK's own checks run when it is built (`scripts/deck build`); without it they are skipped, saying so. */
const built = spawnSync("bash", [path.join(ROOT, "scripts/deck.d/build.sh"), "path"], { encoding: "utf8" });
const deckBin = built.status === 0 ? built.stdout.trim() : undefined;
const NO_DECK = deckBin ? [] : ["--no-deck"];
const whyNoDeck = `decK is not built (${built.stdout.trim()} missing); run \`scripts/deck build\` for its offline validation`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The wrapper in a child with no DECK_ credentials inherited; async so a test server can answer it. */
function run(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; script?: string } = {}): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("DECK_")));
  return new Promise((resolve, reject) => {
    const child = spawn(opts.script ?? DECK, args, { cwd: opts.cwd ?? os.tmpdir(), env: { ...env, ...opts.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "deck-test-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function credentialsFor(stack: string): NodeJS.ProcessEnv {
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
  return Object.fromEntries(renderKongConfig(stack).secretVariables.map((v) => [v, v.endsWith("_RSA_PUBLIC_KEY") ? pem : "k".repeat(40)]));
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("scripts/deck validate", () => {
  for (const env of ENVIRONMENTS) {
    it(`passes for ${env} on a fresh checkout`, async (t) => {
      if (!deckBin) t.diagnostic(whyNoDeck);
      const r = await run(["validate", env, ...NO_DECK]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`${env}: ok \\(lint: 0 finding\\(s\\); deck file validate: ${deckBin ? "passed" : "skipped"}\\)`));
    });
  }

  it("fails a rendered file that drops jwt from /orders, with the reason", async (t) => {
    if (!deckBin) t.diagnostic(whyNoDeck);
    const config = structuredClone(renderKongConfig("dev").config);
    const orders = config.services.find((s) => s.name === "orders");
    assert.ok(orders);
    orders.plugins = orders.plugins?.filter((p) => p.name !== "jwt");
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, "broken.yaml"), YAML.stringify(config));
    const r = await run(["validate", "--file", "broken.yaml", ...NO_DECK], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.yaml: \[route-auth\] service orders \/ route orders: not tagged "public" and no jwt plugin applies/);
    assert.match(r.stderr, /broken\.yaml: FAILED \(lint: 1 finding\(s\)/);
  });

  it("lets decK itself reject a structurally broken file", { skip: deckBin ? false : whyNoDeck }, async () => {
    const config = structuredClone(renderKongConfig("dev").config) as KongConfig & { plugins: { name: string; service?: string }[] };
    config.plugins.push({ name: "prometheus", service: "no-such-service" });
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, "dangling.yaml"), YAML.stringify(config));
    const r = await run(["validate", "--file", "dangling.yaml"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /deck file validate failed:[\s\S]*no-such-service/);
  });
});

describe("scripts/deck render", () => {
  it("refuses to render a gateway file without its credentials, naming them", async () => {
    const r = await run(["render", "dev"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /DECK_JWT_DEV_CLIENT_RSA_PUBLIC_KEY, DECK_JWT_DEV_CLIENT_SECRET/);
  });

  it("writes the gateway file, readable by its owner only, and decK reads back the same key", async () => {
    const dir = tmpDir();
    const env = credentialsFor("staging");
    const r = await run(["render", "staging", "-o", "kong.yaml"], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    const file = path.join(dir, "kong.yaml");
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const config = YAML.parse(fs.readFileSync(file, "utf8")) as KongConfig;
    assert.equal(config.consumers?.[0].jwt_secrets?.[0].rsa_public_key, env.DECK_JWT_BACKOFFICE_RSA_PUBLIC_KEY);
  });

  it("gives decK references it substitutes into the exact multi-line key", { skip: deckBin ? false : whyNoDeck }, async () => {
    const dir = tmpDir();
    const env = credentialsFor("prod");
    fs.writeFileSync(path.join(dir, "review.yaml"), renderKongConfig("prod").reviewYaml);
    const r = spawnSync(deckBin as string, ["file", "render", "--populate-env-vars", "--format", "json", "--analytics=false", "review.yaml"], {
      cwd: dir,
      env: { ...process.env, ...env },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const keys = (JSON.parse(r.stdout) as KongConfig).consumers?.map((c) => c.jwt_secrets?.[0].rsa_public_key);
    assert.deepEqual(keys, [env.DECK_JWT_BACKOFFICE_RSA_PUBLIC_KEY?.trimEnd(), env.DECK_JWT_WEB_APP_RSA_PUBLIC_KEY?.trimEnd()]);
  });
});

describe("scripts/deck diff", () => {
  it("shows how one environment differs from another and exits 2 with --fail-on-diff", async () => {
    const r = await run(["diff", "prod", "--against", "staging", "--fail-on-diff"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /^-\s+- api\.staging\.coexist\.internal$/m);
    assert.match(r.stdout, /^\+\s+- api\.coexist\.internal$/m);
    const same = await run(["diff", "pr-1", "--against", "pr-2", "--fail-on-diff"]);
    assert.equal(same.code, 0, same.stderr);
  });

  it("compares with a git ref's rendering without touching the checkout, and falls back to HEAD when no gateway answers", async () => {
    // A scratch repository holding what rendering needs, so the test commits nowhere real.
    const repo = tmpDir();
    for (const p of ["scripts/deck", "scripts/deck.d", "components/kong", "components/environments.ts", "kong", "versions.json", "package.json"]) {
      fs.cpSync(path.join(ROOT, p), path.join(repo, p), { recursive: true });
    }
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(repo, "node_modules"));
    const git = (...args: string[]) => spawnSync("git", ["-c", "user.name=t", "-c", "user.email=t@localhost", ...args], { cwd: repo, encoding: "utf8" });
    fs.writeFileSync(path.join(repo, ".gitignore"), "node_modules\n");
    assert.equal(git("init", "-q").status, 0);
    assert.equal(git("add", ".").status, 0);
    assert.equal(git("commit", "-qm", "base").status, 0);
    const script = path.join(repo, "scripts/deck");

    const clean = await run(["diff", "prod", "--ref", "HEAD", "--fail-on-diff"], { script });
    assert.equal(clean.code, 0, clean.stderr);

    const overlay = path.join(repo, "kong/overlays/prod.yaml");
    fs.writeFileSync(overlay, fs.readFileSync(overlay, "utf8").replace("maximum_expiration: 900", "maximum_expiration: 600"));
    const changed = await run(["diff", "prod", "--ref", "HEAD", "--fail-on-diff"], { script });
    assert.equal(changed.code, 2, changed.stderr);
    assert.match(changed.stdout, /^-\s+maximum_expiration: 900$/m);
    assert.match(changed.stdout, /^\+\s+maximum_expiration: 600$/m);

    const port = await closedPort();
    const fallback = await run(["diff", "prod", "--kong-addr", `http://127.0.0.1:${port}`, "--fail-on-diff"], { script });
    assert.equal(fallback.code, 2, fallback.stderr);
    assert.match(fallback.stderr, /no Kong Admin API at http:\/\/127\.0\.0\.1:\d+ .*kubectl -n <namespace, coexist-prod by default> port-forward deploy\/kong 8001:8001\. Comparing with the rendering at HEAD instead/);
    assert.equal(git("status", "--porcelain").stdout.trim(), "M kong/overlays/prod.yaml");
  });
});

describe("scripts/deck sync", () => {
  it("never posts a config to a DB-less gateway, even one whose Admin API answers, and says how to apply and how to reach it", async () => {
    // Answers like Kong's Admin API and records every request, so a POST /config would show.
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      if (req.method === "GET" && req.url === "/") return res.end(JSON.stringify({ version: "3.9.1", configuration: { database: "off" } }));
      res.statusCode = req.method === "POST" ? 201 : 404;
      res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    after(() => server.close());
    const addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const cases: [string, RegExp][] = [
      ["dev", /the Admin API listens on the container's loopback only .*docker exec -it coexist-dev-kong bash/],
      ["staging", /a Secret, with a checksum that rolls every replica.*kubectl -n <namespace, coexist-staging by default> port-forward deploy\/kong 8001:8001/],
    ];
    for (const [env, hint] of cases) {
      const r = await run(["sync", env, "--kong-addr", addr], { env: credentialsFor(env) });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`sync ${env}: kong/overlays/${env}\\.yaml runs Kong DB-less`));
      assert.match(r.stderr, new RegExp(`Fix: apply with \`scripts/stack up ${env}\``));
      assert.match(r.stderr, hint);
    }
    assert.deepEqual(requests, [], "nothing reached the Admin API");
  });

  it("leaves only database-mode gateways to decK, for every environment", () => {
    for (const env of ENVIRONMENTS) assert.ok(syncRefusal(renderKongConfig(env, { lint: false })), `${env} is DB-less and refused`);
    const dir = tmpDir();
    fs.cpSync(path.join(ROOT, "kong"), dir, { recursive: true });
    const overlay = path.join(dir, "overlays/staging.yaml");
    fs.writeFileSync(overlay, fs.readFileSync(overlay, "utf8").replace("mode: dbless", "mode: db").replace("policy: redis", "policy: cluster"));
    assert.equal(syncRefusal(renderKongConfig("staging", { kongDir: dir, lint: false })), undefined, "a database-mode gateway is decK's to sync");
  });
});

describe("the Admin API address", () => {
  it("refuses an address beyond loopback before connecting, pointing at a port-forward", async () => {
    const r = await run(["diff", "dev", "--kong-addr", "http://192.0.2.10:8001"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the Admin API address http:\/\/192\.0\.2\.10:8001 is not on loopback.*kubectl port-forward/);
  });
});
