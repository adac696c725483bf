import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
});
