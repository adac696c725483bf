/**
 * The gateway's "every route has auth" rule, defined once: the render-time lint
 * (components/kong/lint.ts) and the policy pack (policy/rules/gateway.ts, which reads the config
 * back from the deployed resources) both ask it.
 */

/** The tag that marks a route as meant for anonymous callers; every other route needs jwt. */
export const PUBLIC_TAG = "public";

/** What the rule needs of a plugin, a service and a route (the rendered types and parsed YAML alike). */
export interface PluginLike {
  readonly name: string;
  readonly config?: unknown;
  readonly service?: unknown;
  readonly route?: unknown;
  readonly consumer?: unknown;
  readonly enabled?: unknown;
}
export interface ScopeLike<P extends PluginLike> {
  readonly name?: unknown;
  readonly plugins?: readonly P[];
  readonly tags?: readonly unknown[];
}

/** The plugins that run on a route, the most specific scope winning (global, service, route); consumer-scoped ones excluded. */
export function effectivePlugins<P extends PluginLike>(config: { readonly plugins?: readonly P[] }, service: ScopeLike<P>, route: ScopeLike<P>): Map<string, P> {
  const enabled = (p: P) => p.enabled !== false && !p.consumer;
  const top = config.plugins ?? [];
  const layers = [
    top.filter((p) => !p.service && !p.route),
    top.filter((p) => p.service === service.name && !p.route),
    service.plugins ?? [],
    top.filter((p) => p.route === route.name),
    route.plugins ?? [],
  ];
  const byName = new Map<string, P>();
  for (const layer of layers) for (const p of layer.filter(enabled)) byName.set(p.name, p);
  return byName;
}

/**
 * Why a route breaks the rule: `open` (not tagged public and no jwt applies: anyone can call it),
 * `anonymous` (jwt applies but lets token-less requests through on a route not tagged public);
 * undefined when it keeps it.
 */
export function routeAuthProblem<P extends PluginLike>(config: { readonly plugins?: readonly P[] }, service: ScopeLike<P>, route: ScopeLike<P>): "open" | "anonymous" | undefined {
  if ((route.tags ?? []).includes(PUBLIC_TAG)) return undefined;
  const jwt = effectivePlugins(config, service, route).get("jwt");
  if (!jwt) return "open";
  const c = jwt.config;
  if (c !== null && typeof c === "object" && (c as Record<string, unknown>).anonymous !== undefined) return "anonymous";
  return undefined;
}
