/**
 * Kafka with authentication and authorisation on the Docker target (dev, pr-<n>): the broker
 * container takes SCRAM-SHA-512 logins on every client listener (SASL_PLAINTEXT: the stack's
 * private network and 127.0.0.1), authorises with the StandardAuthorizer (deny by default), and
 * its SCRAM users are written at storage-format time from secret files (broker-start.sh). The
 * clients' ACLs come from the same description as Strimzi's KafkaUsers (acls.ts `kafkaAccess`),
 * applied as `kafka.Acl` resources by a provider logged in as the admin.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as kafka from "@pulumi/kafka";
import * as pulumi from "@pulumi/pulumi";
import { deploy, DockerTarget, GeneratedSecret, ServiceSpec } from "../runtime";
import { images } from "../versions";
import { AclBinding, aclBindings, KafkaAccess } from "./acls";

/** A SCRAM login: the user name and its password (a Pulumi secret). */
export interface KafkaLogin {
  readonly user: string;
  readonly password: pulumi.Output<string>;
}

/** The Docker broker's logins: the admin (super user: the Pulumi provider, the healthcheck), Connect and the sync worker. */
export interface ContainerKafkaLogins {
  readonly admin: KafkaLogin;
  readonly connect: KafkaLogin;
  readonly worker: KafkaLogin;
}

/** The super user the stack's Pulumi providers (topics, ACLs) and the broker itself log in as. */
export const KAFKA_ADMIN_USER = "admin";
/** The mechanism of every client listener on Docker; the provider spells it its own way. */
export const KAFKA_SASL_MECHANISM = "SCRAM-SHA-512";
export const KAFKA_PROVIDER_SASL_MECHANISM = "scram-sha512";

/** Where the broker's inputs sit in the apache/kafka container (broker-start.sh's defaults). */
const CONF_DIR = "/etc/coexist/kafka";
const SECRETS_DIR = "/etc/coexist/kafka-secrets";
/** Where broker-start.sh writes the runtime config (its default COEXIST_KAFKA_RUN). */
export const BROKER_RUN_DIR = "/tmp/coexist-kafka";
/** Written by broker-start.sh at start; holds the admin's password, so the healthcheck's command line does not. */
export const ADMIN_CLIENT_CONFIG = `${BROKER_RUN_DIR}/admin-client.properties`;
const START_SCRIPT = `${CONF_DIR}/start.sh`;
const LOG_DIR = "/var/lib/kafka/data";

export interface BrokerListeners {
  /** The listener containers use, and the port it binds. */
  readonly internalHost: string;
  readonly internalPort: number;
  /** The listener published on the host's 127.0.0.1 (the Pulumi kafka provider, developers). */
  readonly hostPort: number;
  /** KRaft's controller listener; bound to the container's loopback only. */
  readonly controllerPort: number;
  /** The entrypoint's own listener (PLAIN, the static `controller` user); the container's loopback only. */
  readonly localPort: number;
  readonly logDir: string;
}

/**
 * The broker's server.properties without any secret: listeners, SASL mechanisms, the authorizer
 * and its super users. broker-start.sh appends the JAAS logins (secret) at start.
 */
export function renderBrokerProperties(l: BrokerListeners, adminUser: string = KAFKA_ADMIN_USER): string {
  for (const [field, port] of [["internalPort", l.internalPort], ["hostPort", l.hostPort], ["controllerPort", l.controllerPort], ["localPort", l.localPort]] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`kafka broker: ${field} must be a TCP port, got ${port}`);
  }
  if (new Set([l.internalPort, l.hostPort, l.controllerPort, l.localPort]).size !== 4) {
    throw new Error(`kafka broker: the internal (${l.internalPort}), host (${l.hostPort}), controller (${l.controllerPort}) and local (${l.localPort}) ports must differ; fix: coexist:kafka.port must not be ${l.internalPort}, ${l.controllerPort} or ${l.localPort}`);
  }
  return [
    "# Rendered by components/kafka/container-auth.ts: one combined broker and KRaft controller.",
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${l.controllerPort}`,
    "controller.listener.names=CONTROLLER",
    // Two client listeners because containers and the host resolve the broker differently; both
    // ask for a SCRAM login. No TLS: the traffic stays on one host (the private network, loopback).
    // LOCAL, on the container's loopback, is where broker-start.sh upserts the SCRAM users as the
    // static PLAIN user: it works before any SCRAM credential exists (a log dir from before SASL).
    `listeners=INTERNAL://:${l.internalPort},HOST://:${l.hostPort},LOCAL://127.0.0.1:${l.localPort},CONTROLLER://127.0.0.1:${l.controllerPort}`,
    `advertised.listeners=INTERNAL://${l.internalHost}:${l.internalPort},HOST://127.0.0.1:${l.hostPort},LOCAL://127.0.0.1:${l.localPort}`,
    "listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,HOST:SASL_PLAINTEXT,LOCAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT",
    "inter.broker.listener.name=INTERNAL",
    `sasl.enabled.mechanisms=${KAFKA_SASL_MECHANISM}`,
    `sasl.mechanism.inter.broker.protocol=${KAFKA_SASL_MECHANISM}`,
    "sasl.mechanism.controller.protocol=PLAIN",
    "listener.name.controller.sasl.enabled.mechanisms=PLAIN",
    "listener.name.local.sasl.enabled.mechanisms=PLAIN",
    // Deny by default: only the broker, its controller and the admin bypass ACLs.
    "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "allow.everyone.if.no.acl.found=false",
    `super.users=User:${adminUser};User:controller`,
    `log.dirs=${l.logDir}`,
    // Every topic is declared by the stack; a typo must fail, not create a stray topic.
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "",
  ].join("\n");
}

/** The entrypoint script: renders the secret half of the config, formats with the SCRAM users, runs Kafka. */
export function brokerStartScript(): string {
  return fs.readFileSync(path.join(__dirname, "broker-start.sh"), "utf8");
}

export interface SaslBrokerServiceArgs {
  readonly host: string;
  readonly internalPort: number;
  readonly hostPort: number;
  readonly controllerPort: number;
  readonly localPort: number;
  readonly clusterId: string;
  /** Every SCRAM user the broker is formatted with; `admin` among them. */
  readonly logins: readonly KafkaLogin[];
  readonly controllerPassword: pulumi.Output<string>;
}

/** The broker container: plain config and the start script as files, each password in its own secret file. */
export function saslBrokerService(args: SaslBrokerServiceArgs): ServiceSpec {
  if (!args.logins.some((l) => l.user === KAFKA_ADMIN_USER)) throw new Error(`kafka broker: the logins must include ${KAFKA_ADMIN_USER}, the broker's super user`);
  const users = args.logins.map((l) => l.user);
  if (new Set(users).size !== users.length) throw new Error(`kafka broker: two logins share a user name (${users.join(", ")}); give each client its own`);
  return {
    host: args.host,
    image: images.kafka,
    entrypoint: ["bash", START_SCRIPT],
    env: brokerEnv(args.clusterId),
    // The host listener's container port equals the published port, so the advertised address works from the host.
    ports: [
      { name: "host", container: args.hostPort, host: args.hostPort },
      { name: "internal", container: args.internalPort },
    ],
    volumes: [{ name: "data", path: LOG_DIR }],
    files: [
      { path: START_SCRIPT, content: brokerStartScript(), mode: "0555" },
      {
        path: `${CONF_DIR}/server.properties`,
        content: renderBrokerProperties({ internalHost: args.host, internalPort: args.internalPort, hostPort: args.hostPort, controllerPort: args.controllerPort, localPort: args.localPort, logDir: LOG_DIR }),
        mode: "0444",
      },
      // The image runs Kafka as its unprivileged appuser, and uploads belong to root: readable by
      // the container's processes, which are Kafka's.
      ...args.logins.map((l) => ({ path: `${SECRETS_DIR}/scram/${l.user}`, content: l.password, secret: true, mode: "0444" })),
      { path: `${SECRETS_DIR}/controller`, content: args.controllerPassword, secret: true, mode: "0444" },
    ],
    healthcheck: brokerHealthcheck(args.internalPort),
  };
}

/** The container's plain env: no secret (broker-start.sh reads those from files). */
export function brokerEnv(clusterId: string): Record<string, string> {
  return { CLUSTER_ID: clusterId, KAFKA_INTER_BROKER_USER: KAFKA_ADMIN_USER, KAFKA_HEAP_OPTS: "-Xms256m -Xmx768m" };
}

/** A logged-in request as the admin: a broker that answers it takes SCRAM logins and serves metadata. */
export function brokerHealthcheck(internalPort: number): NonNullable<ServiceSpec["healthcheck"]> {
  return {
    command: ["/opt/kafka/bin/kafka-broker-api-versions.sh", "--bootstrap-server", `localhost:${internalPort}`, "--command-config", ADMIN_CLIENT_CONFIG],
    intervalSeconds: 10,
    startPeriodSeconds: 30,
  };
}

/** The passwords of the broker's users, generated once per stack and kept (encrypted) in its state. */
export function generateContainerKafkaLogins(name: string, access: KafkaAccess, opts: pulumi.CustomResourceOptions): { logins: ContainerKafkaLogins; controllerPassword: pulumi.Output<string> } {
  // Secret already through additionalSecretOutputs; said again so no consumer depends on that.
  const secret = (role: string) => pulumi.secret(new GeneratedSecret(`${name}-${role}-password`, {}, opts).value);
  return {
    logins: {
      admin: { user: KAFKA_ADMIN_USER, password: secret("admin") },
      connect: { user: access.connect.user, password: secret("connect") },
      worker: { user: access.worker.user, password: secret("worker") },
    },
    controllerPassword: secret("controller"),
  };
}

/** The kafka provider's login as the admin over the loopback listener (no TLS there). */
export function adminProviderArgs(bootstrapServers: string[], admin: KafkaLogin): kafka.ProviderArgs {
  return {
    bootstrapServers,
    tlsEnabled: false,
    skipTlsVerify: false,
    saslMechanism: KAFKA_PROVIDER_SASL_MECHANISM,
    saslUsername: admin.user,
    saslPassword: admin.password,
  };
}

/** One `kafka.Acl`'s inputs for one binding of acls.ts (the provider's capitalised enum names). */
export function renderKafkaAcl(b: AclBinding): kafka.AclArgs {
  return {
    aclPrincipal: b.principal,
    aclHost: "*",
    aclOperation: b.operation,
    aclPermissionType: "Allow",
    aclResourceType: b.resourceType === "topic" ? "Topic" : "Group",
    aclResourceName: b.resourceName,
    resourcePatternTypeFilter: b.patternType === "prefix" ? "Prefixed" : "Literal",
  };
}

/** A stable, readable resource name per binding: `<user>-<type>-<resource>-<operation>`. */
export function aclResourceName(b: AclBinding): string {
  return `${b.principal.replace(/^User:/, "")}-${b.resourceType}${b.patternType === "prefix" ? "-prefix" : ""}-${b.resourceName}-${b.operation}`;
}

/** Every binding of the stack's clients (Connect, the sync worker): the ACLs the broker must hold. */
export function containerAclBindings(access: KafkaAccess): AclBinding[] {
  return [access.connect, access.worker].flatMap(aclBindings);
}

/**
 * The clients' ACLs on the Docker broker, through a provider logged in as the admin.
 * `opts.dependsOn`: the broker, which must accept logins first.
 */
export class ContainerKafkaAcls extends pulumi.ComponentResource {
  readonly acls: kafka.Acl[];

  constructor(name: string, args: { readonly access: KafkaAccess; readonly bootstrapServers: string[]; readonly admin: KafkaLogin }, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kafka:ContainerKafkaAcls", name, {}, opts);
    const provider = new kafka.Provider(`${name}-provider`, adminProviderArgs(args.bootstrapServers, args.admin), { parent: this, dependsOn: opts.dependsOn });
    this.acls = containerAclBindings(args.access).map((b) => new kafka.Acl(`${name}-${aclResourceName(b)}`, renderKafkaAcl(b), { parent: this, provider }));
    this.registerOutputs({ count: this.acls.length });
  }
}

export interface ContainerKafkaArgs {
  readonly target: DockerTarget;
  readonly host: string;
  readonly internalPort: number;
  readonly controllerPort: number;
  readonly localPort: number;
  readonly hostPort: number;
  readonly clusterId: string;
  readonly access: KafkaAccess;
}

/**
 * The Docker realisation of KafkaBroker: the generated passwords, the SASL broker container and
 * the clients' ACLs. `ready` holds the container and the ACLs: no client starts before its rules exist.
 */
export function createContainerKafka(name: string, args: ContainerKafkaArgs, opts: { parent: pulumi.Resource; retainOnDelete?: boolean }): { ready: pulumi.Resource[]; logins: ContainerKafkaLogins } {
  const { logins, controllerPassword } = generateContainerKafkaLogins(name, args.access, { parent: opts.parent });
  const broker = deploy(`${name}-broker`, saslBrokerService({
    host: args.host, internalPort: args.internalPort, hostPort: args.hostPort, controllerPort: args.controllerPort, localPort: args.localPort, clusterId: args.clusterId,
    logins: [logins.admin, logins.connect, logins.worker], controllerPassword,
  }), args.target, opts);
  const acls = new ContainerKafkaAcls(`${name}-acls`, { access: args.access, bootstrapServers: [`127.0.0.1:${args.hostPort}`], admin: logins.admin }, { parent: opts.parent, dependsOn: broker.ready });
  return { ready: [...broker.ready, ...acls.acls], logins };
}
