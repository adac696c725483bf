import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), "utf8");

describe("workers image", () => {
  it("builds on the Node image pinned in versions.json", () => {
    const pinned = (JSON.parse(read("../../versions.json")) as { images: { node: string } }).images.node;
    const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(read("../Dockerfile"))?.[1];
    assert.equal(arg, pinned);
  });

  it("runs as a non-root user with production dependencies only", () => {
    const dockerfile = read("../Dockerfile");
    const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
    assert.match(final, /^USER node$/m);
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.doesNotMatch(final, /COPY --from=build[^\n]*node_modules/);
  });
});
