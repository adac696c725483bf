import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as semver from "semver";
import { images, versions } from "./versions";

/** versions.json is the one pin; the images the stack deploys must agree with what the data plane runs. */
describe("versions.json", () => {
  const tag = (image: string) => image.slice(image.lastIndexOf(":") + 1);

  it("deploys the Kafka broker the data plane runs", () => {
    assert.equal(tag(images.kafka), versions.kafka);
  });

  it("deploys the Debezium release the data plane loads into Connect", () => {
    assert.equal(tag(images.connect), versions.debezium);
  });

  it("deploys the PostgreSQL major version the data plane runs", () => {
    assert.equal(tag(images.postgres).split(".")[0], versions.postgres);
  });

  it("deploys the pinned Kong and MongoDB", () => {
    assert.equal(tag(images.kong), versions.kong);
    assert.equal(tag(images.mongodb), versions.mongodb);
  });

  it("pins every image to an exact tag, never latest", () => {
    for (const [name, image] of Object.entries(images)) assert.match(tag(image), /^\d+\.\d+/, `${name}: ${image}`);
  });

  it("names the provider SDK each mocked provider is installed at, inside package.json's range", () => {
    // The plugins of these providers cannot be had here, so no test loads one: this pin is what a
    // real `pulumi up` downloads, and it must be the SDK the mocks ran against.
    const root = path.join(__dirname, "..");
    const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    const { $comment: _, ...pins } = versions.mockedProviders;
    assert.deepEqual(Object.keys(pins).sort(), ["docker", "kafka", "mongodbatlas", "postgresql"]);
    for (const [name, pinned] of Object.entries(pins)) {
      const pkg = `@pulumi/${name}`;
      assert.equal(lock.packages[`node_modules/${pkg}`]?.version, pinned, `${pkg}: package-lock.json installs another version than versions.json's mockedProviders.${name}; fix: npm install ${pkg}@${pinned}`);
      assert.ok(semver.satisfies(pinned, manifest.dependencies[pkg]), `${pkg}: package.json's range ${manifest.dependencies[pkg]} does not admit ${pinned}`);
    }
  });
});
