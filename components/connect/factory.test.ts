import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { externalConnect } from "./external";

/** The external realisation of Kafka Connect: the endpoint alone, no resource (connectFor's "external" case). */

const REF = "${file:/opt/secrets/postgres.properties:password}";

function valueOf(v: pulumi.Input<string>): Promise<string> {
  return new Promise((resolve) => pulumi.output(v).apply((x) => { resolve(x); return x; }));
}

describe("externalConnect", () => {
  it("registers connectors on the REST URL with the cluster's own password reference", () => {
    const e = externalConnect("connect", { url: "http://connect.example.com:8083", passwordRef: REF });
    assert.equal(e.kind, "rest");
    assert.equal(e.url, "http://connect.example.com:8083");
    assert.equal(e.passwordRef, REF);
  });

  it("puts the REST credentials in the URL as user info, only as a secret", async () => {
    const e = externalConnect("connect", { url: "http://connect.example.com:8083", passwordRef: REF, user: "coexist", password: pulumi.output("p@ss:word") });
    assert.equal(e.kind, "rest");
    assert.equal(await pulumi.isSecret(pulumi.output(e.kind === "rest" ? e.url : "")), true);
    assert.equal(await valueOf(e.kind === "rest" ? e.url : ""), "http://coexist:p%40ss%3Aword@connect.example.com:8083");
  });

  it("refuses a REST user without a password, naming the secret", () => {
    assert.throws(() => externalConnect("connect", { url: "http://connect.example.com:8083", passwordRef: REF, user: "coexist" }), /connect: .*fix: pulumi config set --secret coexist:connectPassword/);
  });
});
