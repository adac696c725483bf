import * as pulumi from "@pulumi/pulumi";
import { deploy, DockerTarget, GeneratedSecret, LOOPBACK } from "../runtime";
import { CONNECT_REST_USER, connectService, ConnectServiceArgs, SOURCE_PASSWORD_REF } from "./connect";
import { ConnectEndpoint, KAFKA_CONNECT_TYPE } from "./endpoint";
import { restUrlWithUserInfo } from "./rest-auth";

export interface ConnectContainerArgs extends ConnectServiceArgs {
  readonly target: DockerTarget;
}

/**
 * Kafka Connect for dev and pr-<n>: one distributed worker from the Debezium Connect image, its
 * REST API on loopback behind HTTP Basic credentials the stack generates.
 */
export class ConnectContainer extends pulumi.ComponentResource {
  readonly endpoint: ConnectEndpoint;

  constructor(name: string, args: ConnectContainerArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super(KAFKA_CONNECT_TYPE, name, {}, opts);
    const url = `http://${LOOPBACK}:${args.restHostPort}`;
    // Anything on the stack's network could otherwise register a connector that reads the
    // database password through the file config provider and sends it elsewhere.
    const restPassword = new GeneratedSecret(`${name}-rest-password`, {}, { parent: this }).value;
    const ready = deploy(`${name}-worker`, connectService({ ...args, restPassword }), args.target, { parent: this }).ready;
    const withCredentials = pulumi.secret(restPassword.apply((p) => restUrlWithUserInfo(url, CONNECT_REST_USER, p)));
    this.endpoint = { kind: "rest", url: withCredentials, passwordRef: SOURCE_PASSWORD_REF, ready, hostUrl: url };
    this.registerOutputs({ url });
  }
}
