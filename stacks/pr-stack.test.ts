import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { parseConfig } from "./config";
import { prPortOffset, renderPrStack } from "./pr-stack";
import { withProjectConfig } from "./stack-files";

const template = fs.readFileSync(path.join(__dirname, "Pulumi.pr.template.yaml"), "utf8");
const SECRETS = { "coexist:postgresPassword": "p", "coexist:debeziumPassword": "d", "coexist:mongodbPassword": "m" };

function portsOf(pr: number): number[] {
  const file = parse(renderPrStack(template, pr)) as { config: Record<string, unknown> };
  const raw = Object.fromEntries(Object.entries({ ...withProjectConfig(file.config), ...SECRETS }).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const c = parseConfig(raw, `pr-${pr}`, Object.keys(SECRETS));
  // Host ports belong to the Docker target's containers only.
  if (c.target !== "docker") throw new Error(`pr-${pr}: expected the docker target, found ${c.target}`);
  return [c.postgres.port, c.kafka.port, c.connect.port, c.mongodb.port, c.kong.proxyPort, c.workers.metricsPort, c.workers.slotMetricsPort];
}

describe("pr-<n> stacks", () => {
  it("render from the template into a valid config", () => {
    assert.equal(portsOf(42)[0], 15432 + prPortOffset(42));
  });

  it("never share a host port with dev or with each other", () => {
    const dev = [15432, 19092, 18083, 27018, 8000, 9464, 9465];
    const seen = new Map<number, string>(dev.map((p) => [p, "dev"]));
    for (let pr = 1; pr <= 99; pr++) {
      for (const port of portsOf(pr)) {
        assert.ok(!seen.has(port), `pr-${pr} port ${port} collides with ${seen.get(port)}`);
        seen.set(port, `pr-${pr}`);
      }
    }
  });
});
