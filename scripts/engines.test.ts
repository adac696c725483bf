import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import * as semver from "semver";

/**
 * Every package in both lockfiles accepts the Node versions that run it: the workers image's
 * (versions.json images.node) and CI's (the `node` devDependency that `npm test` puts first on
 * PATH). npm only warns (EBADENGINE) when a package declares a newer Node than the one
 * installing it; this makes it a failure.
 */
const ROOT = join(__dirname, "..");
const read = (rel: string) => JSON.parse(readFileSync(join(ROOT, rel), "utf8")) as Record<string, any>;

interface Lock {
  packages: Record<string, { version?: string; engines?: Record<string, string> | string[]; optional?: boolean }>;
}

/** Packages whose `engines.node` does not accept `node`. */
export function engineViolations(lock: Lock, node: string): string[] {
  const out: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "") continue;
    const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
    if (range !== undefined && !semver.satisfies(node, range)) out.push(`${path.replace(/^.*node_modules\//, "")}@${entry.version} requires node ${range}`);
  }
  return out;
}

function imageNode(): string {
  const image = (read("versions.json").images as { node: string }).node;
  const m = /^node:(\d+)\.(\d+)(?:\.(\d+))?-/.exec(image);
  assert.ok(m, `versions.json images.node is "${image}"; pin it as node:<major>.<minor>[.<patch>]-<variant>`);
  // An image tagged with a minor gets that minor's patches: the lowest is what must work.
  return `${m[1]}.${m[2]}.${m[3] ?? 0}`;
}

function ciNode(): string {
  const v = (read("package.json").devDependencies as Record<string, string>).node;
  assert.ok(v && semver.valid(v), `package.json devDependencies.node is ${JSON.stringify(v)}; pin an exact version (npm test runs it)`);
  return v;
}

describe("Node versions", () => {
  it("run CI on the same Node major and minor as the workers image", () => {
    const [image, ci] = [imageNode(), ciNode()];
    assert.equal(`${semver.major(ci)}.${semver.minor(ci)}`, `${semver.major(image)}.${semver.minor(image)}`, `CI runs ${ci}, the image ${image}`);
    assert.equal(read("versions.json").node, String(semver.major(image)), "versions.json node names the image's major");
  });

  it("satisfy every engine constraint of the workers' dependency tree, on the image's and CI's Node", () => {
    const lock = read("workers/package-lock.json") as Lock;
    assert.deepEqual(engineViolations(lock, imageNode()), []);
    assert.deepEqual(engineViolations(lock, ciNode()), []);
  });

  it("satisfy every engine constraint of the stack's dependency tree, on CI's Node", () => {
    assert.deepEqual(engineViolations(read("package-lock.json") as Lock, ciNode()), []);
  });

  it("report a package that needs a newer Node than the one given", () => {
    const lock: Lock = { packages: { "": {}, "node_modules/@platformatic/dynamic-buffer": { version: "0.3.1", engines: { node: ">= 22.19.0" } } } };
    assert.deepEqual(engineViolations(lock, "20.19.0"), ["@platformatic/dynamic-buffer@0.3.1 requires node >= 22.19.0"]);
    assert.deepEqual(engineViolations(lock, "24.21.0"), []);
  });
});
