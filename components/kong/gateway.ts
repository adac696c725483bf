import * as pulumi from "@pulumi/pulumi";
import { deploy, ServiceSpec, Target } from "../runtime";
import { images } from "../versions";
import { renderKongConfig } from "./render";

export interface KongGatewayArgs {
  readonly target: Target;
  /** The stack name; selects the overlay in kong/overlays (pr-<n> stacks share `pr`). */
  readonly stack: string;
  /** Proxy port on 127.0.0.1. */
  readonly proxyHostPort: number;
  /** Admin API port on 127.0.0.1; never published elsewhere. */
  readonly adminHostPort: number;
  readonly dependsOn?: pulumi.Resource[];
}

export const KONG_HOST = "kong";
const DECLARATIVE_PATH = "/kong/declarative/kong.yaml";

/**
 * Kong in DB-less mode loading the rendered declarative config of the stack. The rendered file is
 * an input of the container, so a route change shows in `pulumi preview --diff`.
 */
export class KongGateway extends pulumi.ComponentResource {
  readonly proxyUrl: string;
  readonly adminUrl: string;

  constructor(name: string, args: KongGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kong:KongGateway", name, {}, opts);
    const rendered = renderKongConfig(args.stack, { resolveSecrets: false });
    if (rendered.mode !== "dbless") {
      throw new Error(`KongGateway ${name}: the ${args.stack} overlay runs Kong with a database, which the docker target does not provide; fix: use mode dbless in its overlay`);
    }
    this.proxyUrl = `http://127.0.0.1:${args.proxyHostPort}`;
    this.adminUrl = `http://127.0.0.1:${args.adminHostPort}`;
    deploy(`${name}-gateway`, kongService({ ...args, declarativeConfig: rendered.yaml }), args.target, { parent: this, dependsOn: args.dependsOn });
    this.registerOutputs({ proxyUrl: this.proxyUrl, adminUrl: this.adminUrl });
  }
}

export function kongService(args: KongGatewayArgs & { declarativeConfig: string }): ServiceSpec {
  return {
    host: KONG_HOST,
    image: images.kong,
    env: {
      KONG_DATABASE: "off",
      KONG_DECLARATIVE_CONFIG: DECLARATIVE_PATH,
      KONG_PROXY_LISTEN: "0.0.0.0:8000",
      // Inside the container the admin API listens on all interfaces so the published port reaches it;
      // the port is published on 127.0.0.1 only (see runOnDocker).
      KONG_ADMIN_LISTEN: "0.0.0.0:8001",
      KONG_STATUS_LISTEN: "0.0.0.0:8100",
      KONG_PROXY_ACCESS_LOG: "/dev/stdout",
      KONG_ADMIN_ACCESS_LOG: "/dev/stdout",
      KONG_PROXY_ERROR_LOG: "/dev/stderr",
      KONG_ADMIN_ERROR_LOG: "/dev/stderr",
    },
    ports: [
      { name: "proxy", container: 8000, host: args.proxyHostPort },
      { name: "admin", container: 8001, host: args.adminHostPort },
    ],
    files: [{ path: DECLARATIVE_PATH, content: args.declarativeConfig, mode: "0444" }],
    healthcheck: { command: ["kong", "health"] },
  };
}
