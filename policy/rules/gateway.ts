import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import { PluginLike, PUBLIC_TAG, routeAuthProblem } from "../../components/kong/route-auth";
import { describe, filesOf, get, isKube, isRecord, kubeKind, list, mountedConfig, num, objectName, podSpec, Resource, TYPES } from "../shapes";

/**
 * The Kong gateway's declarative config as it is deployed: a file of the gateway (a Docker upload,
 * or a ConfigMap or Secret its pods mount), read back here so a config that bypassed the render-time
 * lint (components/kong/lint.ts) is still caught before it reaches a gateway.
 */

type Obj = Record<string, unknown>;

interface GatewayConfig {
  readonly holder: Resource;
  readonly file: string;
  readonly config: Obj;
}

/** Every Kong declarative config a resource carries (a YAML document with `_format_version` and `services`). */
export function kongConfigs(r: Resource): GatewayConfig[] {
  return filesOf(r).flatMap((f) => {
    if (!f.content.includes("_format_version")) return [];
    let doc: unknown;
    try {
      doc = parse(f.content);
    } catch {
      return [];
    }
    return isRecord(doc) && Array.isArray(doc.services) ? [{ holder: r, file: f.file, config: doc }] : [];
  });
}

function enabled(p: unknown): p is Obj {
  return isRecord(p) && p.enabled !== false && p.consumer === undefined;
}

export function unauthenticatedRoutes(r: Resource): string[] {
  const out = new Set<string>();
  for (const g of kongConfigs(r)) {
    for (const service of list(g.config.services).filter(isRecord)) {
      for (const route of list(service.routes).filter(isRecord)) {
        const plugins = (o: Obj) => list(o.plugins).filter(isRecord) as unknown as PluginLike[];
        const problem = routeAuthProblem({ plugins: plugins(g.config) }, { name: service.name, plugins: plugins(service) }, { name: route.name, plugins: plugins(route), tags: list(route.tags) });
        if (problem === "open") {
          out.add(`Kong route ${String(route.name)} (service ${String(service.name)}) in ${describe(r)} is not tagged "${PUBLIC_TAG}" and no jwt plugin applies: anyone can call it; fix: add jwt to the route or service, or tag the route ${PUBLIC_TAG} if it is meant to be anonymous`);
        }
        if (problem === "anonymous") {
          out.add(`Kong route ${String(route.name)} (service ${String(service.name)}) in ${describe(r)} lets requests without a token through (jwt anonymous is set) but is not tagged "${PUBLIC_TAG}"; fix: remove anonymous`);
        }
      }
    }
  }
  return [...out];
}

export const gatewayRoutesAuthenticated: ResourceValidationPolicy = {
  name: "gateway-routes-authenticated",
  description: `Every Kong route not tagged "${PUBLIC_TAG}" has the jwt plugin.`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of unauthenticatedRoutes(args)) reportViolation(finding);
  },
};

/** How many gateway processes share a config: the replicas of the workloads mounting it, or the Docker containers carrying it. */
export function gatewayReplicas(g: GatewayConfig, resources: readonly Resource[]): { replicas: number; by: string } {
  if (g.holder.type === TYPES.dockerContainer) {
    const same = resources.filter((r) => r.type === TYPES.dockerContainer && kongConfigs(r).some((o) => JSON.stringify(o.config) === JSON.stringify(g.config)));
    return { replicas: same.length, by: `${same.length} Docker container(s)` };
  }
  const name = objectName(g.holder);
  const namespace = get(g.holder.props, "metadata", "namespace");
  const isSecret = isKube(g.holder, "", "Secret");
  let replicas = 0;
  const by: string[] = [];
  for (const w of resources) {
    const pod = podSpec(w);
    if (!pod || get(w.props, "metadata", "namespace") !== namespace) continue;
    const mounts = mountedConfig(pod);
    if (!(isSecret ? mounts.secrets : mounts.configMaps).includes(name)) continue;
    const n = Math.max(num(get(w.props, "spec", "replicas")) ?? 1, autoscaledMax(w, resources));
    replicas += n;
    by.push(`${describe(w)} (${n})`);
  }
  return { replicas, by: by.join(", ") };
}

function autoscaledMax(workload: Resource, resources: readonly Resource[]): number {
  const k = kubeKind(workload);
  return Math.max(0, ...resources
    .filter((r) => isKube(r, "autoscaling", "HorizontalPodAutoscaler") && get(r.props, "spec", "scaleTargetRef", "kind") === k?.kind && get(r.props, "spec", "scaleTargetRef", "name") === objectName(workload))
    .map((r) => num(get(r.props, "spec", "maxReplicas")) ?? 0));
}

export function localRateLimitsShared(resources: readonly Resource[]): { message: string; urn: string }[] {
  const out = new Map<string, { message: string; urn: string }>();
  for (const r of resources) {
    for (const g of kongConfigs(r)) {
      const { replicas, by } = gatewayReplicas(g, resources);
      if (replicas <= 1) continue;
      const scoped = [
        ...list(g.config.plugins).map((p) => ({ p, where: "global" })),
        ...list(g.config.services).filter(isRecord).flatMap((s) => [
          ...list(s.plugins).map((p) => ({ p, where: `service ${String(s.name)}` })),
          ...list(s.routes).filter(isRecord).flatMap((rt) => list(rt.plugins).map((p) => ({ p, where: `route ${String(rt.name)}` }))),
        ]),
      ];
      for (const { p, where } of scoped) {
        if (!enabled(p) || p.name !== "rate-limiting") continue;
        const policy = String(get(p, "config", "policy") ?? "local");
        if (policy !== "local") continue;
        // The review file and the loaded file of one gateway say the same: one finding.
        out.set(`${where}|${by}`, {
          urn: r.urn,
          message: `rate-limiting on ${where} uses policy local while ${replicas} gateway processes share the config (${by}): each counts alone, so a client gets ${replicas}x the limit; fix: policy redis (rate_limiting.policy in the overlay), or one replica`,
        });
      }
    }
  }
  return [...out.values()];
}

export const gatewayRateLimitShared: StackValidationPolicy = {
  name: "gateway-rate-limit-shared",
  description: "Kong's local rate limiting runs on one gateway replica only; more replicas need shared counters (redis).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const v of localRateLimitsShared(args.resources)) reportViolation(v.message, v.urn);
  },
};
