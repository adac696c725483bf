import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { TRANSFORMS } from "../capture";
import { kafkaClientJaasSection } from "../connect/container-auth";
import { kafkaAccess } from "./acls";
import { aclResourceName, containerAclBindings, renderBrokerProperties, renderKafkaAcl, saslBrokerService } from "./container-auth";

const captures = ["public.orders", "public.customers"].map((table) => ({ table, collection: table.slice(7), key: "id", transform: TRANSFORMS[0] }));
const access = kafkaAccess({
  topicPrefix: "shop",
  captures,
  connect: { user: "shop-connect", group: "shop-connect", internalTopics: { configs: "shop-connect.configs", offsets: "shop-connect.offsets", status: "shop-connect.status" } },
  worker: { user: "shop-sync", group: "shop-sync" },
});
const listeners = { internalHost: "kafka", internalPort: 9092, hostPort: 19092, controllerPort: 9093, localPort: 9094, logDir: "/var/lib/kafka/data" };

describe("the Docker broker's config", () => {
  it("refuses a host port equal to the internal or controller port, naming the config key", () => {
    assert.throws(() => renderBrokerProperties({ ...listeners, hostPort: 9093 }), /coexist:kafka\.port must not be 9092, 9093 or 9094/);
    assert.throws(() => renderBrokerProperties({ ...listeners, hostPort: 70000 }), /hostPort must be a TCP port, got 70000/);
  });

  it("advertises the private network's name to containers and loopback to the host", () => {
    const conf = renderBrokerProperties(listeners);
    assert.match(conf, /^advertised\.listeners=INTERNAL:\/\/kafka:9092,HOST:\/\/127\.0\.0\.1:19092,LOCAL:\/\/127\.0\.0\.1:9094$/m);
    assert.doesNotMatch(conf, /password/i, "no secret in the plain config");
  });

  it("needs the admin among the logins, and one login per user", () => {
    const login = (user: string) => ({ user, password: pulumi.output("p") });
    const base = { host: "kafka", internalPort: 9092, hostPort: 19092, controllerPort: 9093, localPort: 9094, clusterId: "MkU3OEVBNTcwNTJENDM2Qk", controllerPassword: pulumi.output("c") };
    assert.throws(() => saslBrokerService({ ...base, logins: [login("shop-sync")] }), /must include admin/);
    assert.throws(() => saslBrokerService({ ...base, logins: [login("admin"), login("admin")] }), /two logins share a user name/);
  });

  it("ships an entrypoint script bash can parse", () => {
    execFileSync("bash", ["-n", path.join(__dirname, "broker-start.sh")], { stdio: "pipe" });
  });
});

describe("the Docker broker's ACLs", () => {
  it("renders each binding in the kafka provider's enum spelling", () => {
    const bindings = containerAclBindings(access);
    const read = bindings.find((b) => b.principal === "User:shop-sync" && b.resourceName === "shop.public.orders" && b.operation === "Read")!;
    assert.deepEqual(renderKafkaAcl(read), {
      aclPrincipal: "User:shop-sync", aclHost: "*", aclOperation: "Read", aclPermissionType: "Allow",
      aclResourceType: "Topic", aclResourceName: "shop.public.orders", resourcePatternTypeFilter: "Literal",
    });
    const group = bindings.find((b) => b.resourceType === "group" && b.principal === "User:shop-sync")!;
    assert.equal(renderKafkaAcl(group).aclResourceType, "Group");
  });

  it("names every binding's resource uniquely", () => {
    const names = containerAclBindings(access).map(aclResourceName);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes("shop-sync-topic-shop.public.orders-Read"), names.join(" "));
  });
});

describe("Connect's JAAS login", () => {
  it("refuses a password that would break out of the JAAS string", () => {
    assert.throws(() => kafkaClientJaasSection("shop-connect", 'x"; evil=1'), /password must be of/);
    assert.match(kafkaClientJaasSection("shop-connect", "abc_DEF-123"), /username="shop-connect"\n {2}password="abc_DEF-123";/);
  });
});

