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
  /** Values of the `DECK_*` variables the rendered file references (consumer credentials); a secret. */
  readonly credentials: pulumi.Output<Record<string, string>>;
  readonly dependsOn?: pulumi.Resource[];
}

export const KONG_HOST = "kong";
const DECLARATIVE_PATH = "/kong/declarative/kong.yaml";
/** The same file with credential references in place of values: what a preview shows a reviewer. */
const REVIEW_PATH = "/kong/declarative/kong.review.yaml";

/**
 * Kong in DB-less mode loading the rendered declarative config of the stack. The rendered file is
 * an input of the container, so a route change shows in `pulumi preview --diff`.
 */
export class KongGateway extends pulumi.ComponentResource {
  readonly proxyUrl: string;
  readonly adminUrl: string;

  constructor(name: string, args: KongGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kong:KongGateway", name, {}, opts);
    const rendered = renderKongConfig(args.stack);
    if (rendered.mode !== "dbless") {
      throw new Error(`KongGateway ${name}: the ${args.stack} overlay runs Kong with a database, which the docker target does not provide; fix: use mode dbless in its overlay`);
    }
    this.proxyUrl = `http://127.0.0.1:${args.proxyHostPort}`;
    this.adminUrl = `http://127.0.0.1:${args.adminHostPort}`;
    // The file Kong loads carries credentials, so it is a secret; its review twin is not, so a
    // route change still shows in `pulumi preview --diff`.
    const declarativeConfig = pulumi.secret(args.credentials.apply((env) => renderKongConfig(args.stack, { env, resolveSecrets: true }).yaml));
    deploy(
      `${name}-gateway`,
      kongService({ ...args, declarativeConfig, reviewConfig: rendered.reviewYaml, kongEnv: rendered.kongEnv }),
      args.target,
      { parent: this, dependsOn: args.dependsOn },
    );
    this.registerOutputs({ proxyUrl: this.proxyUrl, adminUrl: this.adminUrl });
  }
}

export function kongService(
  args: Pick<KongGatewayArgs, "proxyHostPort" | "adminHostPort"> & {
    declarativeConfig: pulumi.Input<string>;
    reviewConfig: string;
    kongEnv: Record<string, string>;
  },
): ServiceSpec {
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
      ...args.kongEnv,
    },
    ports: [
      { name: "proxy", container: 8000, host: args.proxyHostPort },
      { name: "admin", container: 8001, host: args.adminHostPort },
    ],
    files: [
      { path: DECLARATIVE_PATH, content: args.declarativeConfig, secret: true, mode: "0444" },
      { path: REVIEW_PATH, content: args.reviewConfig, mode: "0444" },
    ],
    healthcheck: { command: ["kong", "health"] },
  };
}
