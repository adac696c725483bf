import * as pulumi from "@pulumi/pulumi";
import type { KubernetesTarget } from "../runtime";

/**
 * Where connectors are registered, and how they reference the database password: a Connect REST
 * API (the Docker worker, or an external Connect cluster), or a Strimzi KafkaConnect whose
 * connectors are KafkaConnector resources. connectFor (factory.ts) returns one.
 */
export type ConnectEndpoint =
  /**
   * `url` may carry user info (`http://user:password@host:port`): then it is a secret, sent as HTTP
   * Basic credentials. `hostUrl`: the Docker worker's REST API on loopback, without credentials.
   */
  | { readonly kind: "rest"; readonly url: pulumi.Input<string>; readonly passwordRef: string; readonly ready: pulumi.Resource[]; readonly hostUrl?: string }
  | { readonly kind: "strimzi"; readonly target: KubernetesTarget; readonly cluster: string; readonly passwordRef: string; readonly ready: pulumi.Resource[] };

/**
 * The component type the provisioned realisations register as: part of the URN (a new one would
 * re-create Connect), so container and Strimzi keep the single KafkaConnect's token.
 */
export const KAFKA_CONNECT_TYPE = "coexist:connect:KafkaConnect";
