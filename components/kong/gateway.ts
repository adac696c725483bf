import * as pulumi from "@pulumi/pulumi";
import { deploy, Target } from "../runtime";
import { RenderedKong, withCredentials } from "./render";
import { KONG_HOST, kongService, PROXY_PORT, VaultSource } from "./service";

export interface KongGatewayArgs {
  readonly target: Target;
  /**
   * The stack's gateway config, rendered once where the stack's config is loaded
   * (`renderKongConfig(stack)`, credential references kept).
   */
  readonly rendered: RenderedKong;
  /** Values of the `DECK_*` variables the rendered file references (consumer credentials); a secret. */
  readonly credentials: pulumi.Input<Record<string, string>>;
  /**
   * The proxy's port on 127.0.0.1 (Docker; the config's port, not a resource's, and the neutral
   * spec's host port is a number). Unused on Kubernetes, where the proxy is a Service.
   * @default none; required on Docker
   */
  readonly proxyHostPort?: number;
  /**
   * Values of the `{vault://env/...}` variables the config references (`rendered.vaultVariables`,
   * e.g. COEXIST_KONG_REDIS_PASSWORD). @default none; required when the overlay references any
   */
  readonly vaultEnv?: Readonly<Record<string, VaultSource>>;
}

/**
 * Kong in DB-less mode loading the stack's rendered declarative config, on either target. The
 * rendered file is an input of the container or of the pods' Secret (with a checksum annotation
 * on Kubernetes), so a route change shows in `pulumi preview --diff` and rolls the gateway.
 */
export class KongGateway extends pulumi.ComponentResource {
  /** Where clients reach the proxy: 127.0.0.1 on Docker, the Service's cluster name on Kubernetes. */
  readonly proxyUrl: pulumi.Output<string>;
  /** What dependants wait on. */
  readonly ready: pulumi.Resource[];
  /** Labels selecting the gateway's pods (Kubernetes), for NetworkPolicies. */
  readonly selector?: Record<string, string>;

  constructor(name: string, args: KongGatewayArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kong:KongGateway", name, {}, opts);
    const { rendered, target } = args;
    if (rendered.mode !== "dbless") {
      throw new Error(`KongGateway ${name}: kong/overlays/${rendered.overlay}.yaml runs Kong with a database, which no target provides; fix: use mode dbless in that overlay`);
    }
    if (rendered.target !== target.kind) {
      throw new Error(
        `KongGateway ${name}: kong/overlays/${rendered.overlay}.yaml is written for the ${rendered.target} target, but the ${rendered.stack} stack deploys to ${target.kind}; ` +
          `fix: set target: ${target.kind} in that overlay (and check its replicas and rate-limiting policy), or map the stack to another overlay`,
      );
    }
    if (target.kind === "docker" && args.proxyHostPort === undefined) {
      throw new Error(`KongGateway ${name}: proxyHostPort is not set; on Docker the proxy is published on 127.0.0.1:<proxyHostPort>; fix: pass coexist:kong.proxyPort`);
    }
    // The file Kong loads carries credentials, so it is a secret; its review twin is not, so a
    // route change still shows in `pulumi preview --diff`.
    const declarativeConfig = pulumi.secret(pulumi.output(args.credentials).apply((env) => withCredentials(rendered, env).yaml));
    const spec = kongService({ rendered, declarativeConfig, proxyHostPort: args.proxyHostPort, vaultEnv: args.vaultEnv });
    const deployed = deploy(`${name}-gateway`, spec, target, { parent: this, dependsOn: opts.dependsOn });
    this.ready = deployed.ready;
    this.selector = deployed.selector;
    this.proxyUrl =
      target.kind === "docker"
        ? pulumi.output(`http://127.0.0.1:${args.proxyHostPort}`)
        : pulumi.interpolate`http://${KONG_HOST}.${target.namespace}.svc.cluster.local:${PROXY_PORT}`;
    this.registerOutputs({ proxyUrl: this.proxyUrl });
  }
}

/**
 * Kong's `{vault://env/...}` references (the shared rate-limit Redis's password on staging and
 * prod) come from Secrets the platform team owns, named after the variable, key `value`:
 * COEXIST_KONG_REDIS_PASSWORD from Secret `coexist-kong-redis-password`.
 */
export function kongVaultEnv(variables: readonly string[]): Record<string, VaultSource> {
  return Object.fromEntries(variables.map((v) => [v, { secret: v.toLowerCase().replace(/_/g, "-"), key: "value" }]));
}
