import * as pulumi from "@pulumi/pulumi";
import type { PostgresConfig } from "../platform-config";
import { dockerTargetFor, kubernetesTargetFor, Target } from "../runtime";
import { PostgresCnpg } from "./cnpg";
import { PostgresContainer } from "./container";
import { PostgresEndpoint } from "./endpoint";
import { externalPostgres } from "./external";
import type { PostgresRole } from "./role";

export interface PostgresForArgs {
  readonly target: Target;
  /** The container's superuser, or an external server's admin role (cdcSource managed). @default none */
  readonly adminPassword?: pulumi.Input<string>;
  /** The Debezium role's password, when the stack creates the role. @default none */
  readonly debeziumPassword?: pulumi.Input<string>;
  /** The read-only login roles (the reconciler's, the slot exporter's), which CloudNativePG declares itself. @default none */
  readonly readers?: readonly PostgresRole[];
}

/**
 * PostgreSQL from its slice of config: the one place that chooses the realisation. Options are
 * those of a stateful resource (protect, retainOnDelete) and what it waits for (the operators' CRDs).
 */
export function postgresFor(name: string, config: PostgresConfig, args: PostgresForArgs, opts: pulumi.ComponentResourceOptions): PostgresEndpoint {
  switch (config.mode) {
    case "container": {
      if (args.adminPassword === undefined) throw new Error(`${name}: the container needs its superuser password; fix: set coexist:postgresPassword`);
      return new PostgresContainer(name, {
        ...config, target: dockerTargetFor(args.target, name), superuserPassword: args.adminPassword, hostPort: config.port, debeziumPassword: args.debeziumPassword,
      }, opts).endpoint;
    }
    case "cnpg": {
      if (args.debeziumPassword === undefined) throw new Error(`${name}: CloudNativePG declares the Debezium role and needs its password; fix: set coexist:debeziumPassword`);
      const debezium: PostgresRole = { name: config.debeziumUser, password: args.debeziumPassword, replication: true };
      return new PostgresCnpg(name, { ...config, target: kubernetesTargetFor(args.target, name), roles: [debezium, ...(args.readers ?? [])] }, opts).endpoint;
    }
    case "external":
      return externalPostgres(name, { ...config, adminPassword: args.adminPassword, debeziumPassword: args.debeziumPassword });
  }
}
