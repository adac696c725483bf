import * as pulumi from "@pulumi/pulumi";
import { deploy, DockerTarget, LOOPBACK } from "../runtime";
import { POSTGRES_SERVER_TYPE, PostgresEndpoint } from "./endpoint";
import { POSTGRES_HOST, POSTGRES_PORT, POSTGRES_SUPERUSER, postgresService, PostgresServiceArgs } from "./server";

export interface PostgresContainerArgs extends PostgresServiceArgs {
  readonly target: DockerTarget;
  /**
   * The Debezium role's password: the CdcSource creates the role through the postgresql provider
   * as the superuser. @default none: the endpoint then carries no CDC source (a DBA's job)
   */
  readonly debeziumPassword?: pulumi.Input<string>;
}

/**
 * PostgreSQL with logical WAL in a container on the stack's Docker network: the system of record
 * and the CDC source of dev and pr-<n>. The superuser is reachable on loopback only.
 */
export class PostgresContainer extends pulumi.ComponentResource {
  readonly endpoint: PostgresEndpoint;

  constructor(name: string, args: PostgresContainerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(POSTGRES_SERVER_TYPE, name, {}, opts);
    const admin = { host: LOOPBACK, port: args.hostPort, adminUser: POSTGRES_SUPERUSER, adminPassword: args.superuserPassword };
    const ready = deploy(`${name}-server`, postgresService(args), args.target, { parent: this, retainOnDelete: opts.retainOnDelete }).ready;
    const hostUrl = pulumi.secret(
      pulumi.interpolate`postgresql://${POSTGRES_SUPERUSER}:${pulumi.output(args.superuserPassword).apply(encodeURIComponent)}@${LOOPBACK}:${args.hostPort}/${args.database}`,
    );
    this.endpoint = {
      host: POSTGRES_HOST,
      port: POSTGRES_PORT,
      database: args.database,
      sslmode: "disable",
      // The private network is the container's only route in; the provider reaches it on loopback.
      cdc: args.debeziumPassword === undefined ? undefined : { kind: "provider", ...admin, sslmode: "disable", debeziumPassword: args.debeziumPassword },
      probe: { host: admin.host, port: admin.port },
      ready,
      hostUrl,
    };
    this.registerOutputs({ url: hostUrl });
  }
}
