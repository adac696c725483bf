import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { lintKongConfig } from "../components/kong/lint";
import type { KongConfig } from "../components/kong/types";
import { parseConfig } from "../stacks/config";
import { openAccessList } from "./rules/atlas";
import { unauthenticatedRoutes } from "./rules/gateway";
import { TYPES } from "./shapes";

/**
 * The Atlas access-list rule and the Kong route-auth rule are each defined once
 * (components/mongodb/access-list.ts, components/kong/route-auth.ts); these properties check that
 * the config parser, the render-time lint and the policy pack reach the same verdict on generated
 * inputs, against an expectation written independently here.
 */

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));

describe("the Atlas access-list rule", () => {
  it("is refused by the config parser and flagged by the policy pack exactly when an entry is x/0", () => {
    fc.assert(
      fc.property(ipv4, fc.integer({ min: 0, max: 32 }), (ip, prefix) => {
        const cidr = `${ip}/${prefix}`;
        const open = prefix === 0;
        const policy = openAccessList({ type: TYPES.atlasAccessList, name: "a", urn: "urn:a", props: { cidrBlock: cidr } });
        assert.equal(policy.length > 0, open, `policy on ${cidr}`);
        const raw = {
          "coexist:target": "kubernetes",
          "coexist:capture": JSON.stringify([{ table: "public.orders", collection: "orders", key: "order_id" }]),
          "coexist:mongodb": JSON.stringify({ atlas: { projectId: "5f1e2d3c4b5a69788796a5b4", regionName: "EU_WEST_1", instanceSize: "M10", accessList: [cidr] } }),
        };
        let message = "";
        try {
          parseConfig(raw, "staging");
        } catch (e) {
          message = (e as Error).message;
        }
        assert.equal(/opens the database to the whole internet/.test(message), open, `parser on ${cidr}: ${message}`);
      }),
      { verbose: true },
    );
  });
});

type Where = "none" | "global" | "service" | "route" | "top-route" | "consumer";

describe("the Kong route-auth rule", () => {
  it("is reported by the render-time lint and the policy pack exactly when a non-public route has no jwt (or an anonymous one)", () => {
    fc.assert(
      fc.property(fc.constantFrom<Where>("none", "global", "service", "route", "top-route", "consumer"), fc.boolean(), fc.boolean(), fc.boolean(), (where, isPublic, anonymous, disabled) => {
        const jwt = { name: "jwt", config: anonymous ? { anonymous: "guest" } : {}, ...(disabled ? { enabled: false } : {}) };
        const config: KongConfig = {
          _format_version: "3.0",
          services: [{
            name: "orders",
            url: "http://orders:8080",
            plugins: where === "service" ? [jwt] : [],
            routes: [{ name: "orders-read", paths: ["/orders"], methods: ["GET"], tags: isPublic ? ["public"] : [], plugins: where === "route" ? [jwt] : [] }],
          }],
          plugins: [
            ...(where === "global" ? [jwt] : []),
            ...(where === "top-route" ? [{ ...jwt, route: "orders-read" }] : []),
            ...(where === "consumer" ? [{ ...jwt, consumer: "alice" }] : []),
          ],
        } as unknown as KongConfig;
        const applies = where !== "none" && where !== "consumer" && !disabled;
        const open = !isPublic && !applies;
        const letsAnonymousIn = !isPublic && applies && anonymous;
        const lint = lintKongConfig(config, { replicas: 1 } as never).filter((f) => f.rule === "route-auth");
        assert.equal(lint.length > 0, open, "lint");
        const found = unauthenticatedRoutes({ type: TYPES.dockerContainer, name: "kong", urn: "urn:kong", props: { uploads: [{ file: "/kong/kong.yaml", content: stringify(config) }] } });
        assert.equal(found.some((m) => /anyone can call it/.test(m)), open, "policy: open");
        assert.equal(found.some((m) => /jwt anonymous is set/.test(m)), letsAnonymousIn, "policy: anonymous");
      }),
      { verbose: true },
    );
  });
});
