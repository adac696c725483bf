/**
 * The gateway's route changes in a preview. The rendered declarative config is an input of the
 * gateway (its review file, credential references kept: a Docker upload or a ConfigMap key), so
 * the engine's events carry it before and after; this reads both and compares them route by route,
 * flagging what a reviewer must not miss (a route losing jwt, a route turning public).
 */
import { PUBLIC_TAG } from "../../components/kong/lint";
import { kongConfigs } from "../../policy/rules/gateway";
import type { ChangeOp, ResourceChange } from "./markdown";
import { diffValues, FieldDiff, Json } from "./markdown-values";

type Obj = Record<string, unknown>;

export interface RouteChange {
  /** `service/route`. */
  readonly route: string;
  readonly kind: "added" | "removed" | "changed";
  readonly fields: readonly FieldDiff[];
  /** Changes a reviewer must not miss. */
  readonly alerts: readonly string[];
}

export interface GatewayDiff {
  /** The resource carrying the config, as a reviewer names it. */
  readonly holder: string;
  readonly op: ChangeOp;
  readonly routes: readonly RouteChange[];
  readonly consumers: { readonly added: readonly string[]; readonly removed: readonly string[] };
  readonly globalPlugins: readonly FieldDiff[];
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The review file of a resource's Kong configs (the secret twin is masked in events anyway). */
function configOf(change: ResourceChange, inputs: Json | undefined): Obj | undefined {
  if (inputs === undefined) return undefined;
  const found = kongConfigs({ type: change.type, name: change.name, urn: change.urn, props: inputs as Obj });
  return (found.find((g) => g.file.includes("review")) ?? found[0])?.config;
}

function plugins(v: unknown): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const p of list(v).filter(isObj)) if (p.enabled !== false && !p.consumer) out[String(p.name)] = (p.config ?? {}) as Json;
  return out;
}

interface RouteView {
  readonly view: Json;
  readonly isPublic: boolean;
  /** jwt runs on the route, from any scope (global, service, route). */
  readonly jwt: boolean;
}

function routesOf(config: Obj | undefined): Map<string, RouteView> {
  const out = new Map<string, RouteView>();
  if (!config) return out;
  const globalJwt = list(config.plugins).filter(isObj).some((p) => p.name === "jwt" && p.enabled !== false && !p.service && !p.route && !p.consumer);
  for (const s of list(config.services).filter(isObj)) {
    for (const r of list(s.routes).filter(isObj)) {
      const own = { ...plugins(s.plugins), ...plugins(r.plugins) };
      const { name: _n, plugins: _p, ...fields } = r;
      out.set(`${String(s.name)}/${String(r.name)}`, {
        view: { ...(fields as Record<string, Json>), upstream: (s.url ?? null) as Json, plugins: own },
        isPublic: list(r.tags).includes(PUBLIC_TAG),
        jwt: globalJwt || "jwt" in own,
      });
    }
  }
  return out;
}

function alertsOf(before: RouteView | undefined, after: RouteView | undefined): string[] {
  const alerts: string[] = [];
  if (after && !after.isPublic && !after.jwt) alerts.push(`no jwt and not tagged ${PUBLIC_TAG}: anyone can call it`);
  else if (before?.jwt && after && !after.jwt) alerts.push(`loses jwt (tagged ${PUBLIC_TAG}: anonymous callers get through)`);
  if (after?.isPublic && before && !before.isPublic) alerts.push(`becomes ${PUBLIC_TAG}: anonymous callers get through`);
  return alerts;
}

export function diffGateway(before: Obj | undefined, after: Obj | undefined): Omit<GatewayDiff, "holder" | "op"> {
  const a = routesOf(before);
  const b = routesOf(after);
  const routes: RouteChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const from = a.get(key);
    const to = b.get(key);
    const fields = diffValues(from?.view, to?.view);
    if (fields.length === 0) continue;
    // An added or removed route reads best as what it is: its paths, methods and plugins.
    const whole = (v: RouteView, kind: "add" | "delete"): FieldDiff[] => Object.entries(v.view as Record<string, Json>).map(([k, value]) => {
      const shown = k === "plugins" ? (Object.keys(value as object).join(", ") as Json) : value;
      return kind === "add" ? { path: k, kind, replace: false, to: shown } : { path: k, kind, replace: false, from: shown };
    });
    const kind = !from ? "added" : !to ? "removed" : "changed";
    routes.push({ route: key, kind, fields: from && to ? fields : from ? whole(from, "delete") : whole(to as RouteView, "add"), alerts: alertsOf(from, to) });
  }
  const names = (c: Obj | undefined) => new Set(list(c?.consumers).filter(isObj).map((x) => String(x.username)));
  const [ca, cb] = [names(before), names(after)];
  const globals = (c: Obj | undefined) => plugins(list(c?.plugins).filter((p) => isObj(p) && !p.service && !p.route));
  return {
    routes,
    consumers: { added: [...cb].filter((x) => !ca.has(x)).sort(), removed: [...ca].filter((x) => !cb.has(x)).sort() },
    globalPlugins: diffValues(globals(before) as Json, globals(after) as Json),
  };
}

/** The gateway diffs of a preview: one per resource whose Kong config changes. */
export function gatewayDiffs(changes: readonly ResourceChange[]): GatewayDiff[] {
  return changes.flatMap((c) => {
    const before = configOf(c, c.before);
    const after = configOf(c, c.after);
    if (!before && !after) return [];
    const d = diffGateway(before, after);
    if (d.routes.length === 0 && d.consumers.added.length + d.consumers.removed.length === 0 && d.globalPlugins.length === 0) return [];
    return [{ holder: c.label, op: c.op, ...d }];
  });
}
