import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { KubernetesSettings } from "../platform-config";
import { KubernetesTarget } from "../runtime";
import { versions } from "../versions";

/**
 * The operators the stack's custom resources need: Strimzi (Kafka, Connect), CloudNativePG
 * (PostgreSQL) and the MongoDB Controllers for Kubernetes. Their CRDs are applied by the stack,
 * separately from the charts, because `helm upgrade` never updates CRDs; they are generated from
 * the operators' published API modules by scripts/crds (k8s/operators.md), never copied. The
 * charts are installed pinned, without their CRDs, into the stack's namespace, each watching that
 * namespace only, under a release name of its own. Strimzi's chart names its cluster-wide RBAC
 * objects without the release; `clusterScopedPerStack` makes two stacks' installs coexist (per-stack
 * ClusterRoleBindings, shared and retained ClusterRoles), so several stacks on one cluster may each
 * install the operators, or run them once (coexist:kubernetes.operators skip, operatorNamespace).
 */

/** Operator names as pinned in versions.json "operators" (k8s/operators.md). */
export const OPERATORS = ["strimzi", "cloudnative-pg", "mongodb-kubernetes"] as const;
export type Operator = (typeof OPERATORS)[number];

interface ChartPin {
  /** An https chart repository, or an oci:// registry path holding the chart as <repository>/<name>. */
  readonly repository: string;
  readonly name: string;
  readonly version: string;
  /** The chart keeps its CRDs in crds/: installed with --skip-crds. */
  readonly skipCrds: boolean;
  /** Values that keep the chart off the CRDs (for charts that template them) or that the CRD selection requires. */
  readonly values: Record<string, unknown>;
}

interface OperatorPin {
  readonly version: string;
  readonly chart: ChartPin;
}

const ROOT = path.resolve(__dirname, "..", "..");

function pinOf(op: Operator): OperatorPin {
  const pins = (versions as unknown as { operators?: Record<string, OperatorPin> }).operators;
  const pin = pins?.[op];
  if (!pin) throw new Error(`versions.json has no operators.${op}; fix: pin the ${op} operator and its chart there (see k8s/operators.md)`);
  return pin;
}

/** The CRD objects of an operator, generated (once, cached) by scripts/crds from its registry. */
export function loadOperatorCrds(op: Operator): Record<string, unknown>[] {
  const script = path.join(ROOT, "scripts", "crds");
  let out: string;
  try {
    out = execFileSync(script, ["ensure", op], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  } catch (e) {
    throw new Error(`the ${op} CRDs could not be generated (scripts/crds ensure ${op}): ${(e as Error).message}; fix: run it by hand to see why, or set coexist:kubernetes.crds to skip when the cluster has them already`);
  }
  const line = out.split("\n").find((l) => l.startsWith(`${op} `));
  if (!line) throw new Error(`scripts/crds ensure ${op} printed no directory`);
  const dir = line.slice(op.length + 1).trim();
  const index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")) as unknown;
  const entries = (Array.isArray(index) ? index : (index as { crds: unknown[] }).crds) as { file: string }[];
  return entries.flatMap((e) => parseAllDocuments(fs.readFileSync(path.join(dir, e.file), "utf8")).map((d) => d.toJSON() as Record<string, unknown>).filter((d) => d?.kind === "CustomResourceDefinition"))
    .map((crd) => withoutEmptyProperties(crd) as Record<string, unknown>);
}

/**
 * Drops `properties: {}` from schemas. The API server stores such a schema without it (the same
 * schema: no declared property either way), so applying it as generated would show a change on
 * every preview (Strimzi's Kafka status.clusterSecurity has one).
 */
export function withoutEmptyProperties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyProperties);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === "properties" && v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = withoutEmptyProperties(v);
  }
  return out;
}

export interface OperatorsArgs {
  readonly target: KubernetesTarget;
  readonly settings: KubernetesSettings;
  /** The operators this stack's resources need. */
  readonly needed: readonly Operator[];
  /**
   * A local chart directory per operator, installed instead of the chart pinned in versions.json
   * (a cluster that cannot reach the chart repositories; the engine tests' stand-in chart).
   * @default the pinned chart from its repository
   */
  readonly chartDirs?: Readonly<Partial<Record<Operator, string>>>;
}

export class Operators extends pulumi.ComponentResource {
  /** What the custom resources wait on: the CRDs (and the charts, when installed). */
  readonly ready: pulumi.Resource[] = [];

  constructor(name: string, args: OperatorsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("coexist:kubernetes:Operators", name, {}, opts);
    const t = args.target;
    const crds: pulumi.Resource[] = [];
    if (args.settings.crds === "apply") {
      for (const op of args.needed) {
        for (const crd of loadOperatorCrds(op)) {
          const crdName = (crd.metadata as { name: string }).name;
          crds.push(new k8s.apiextensions.v1.CustomResourceDefinition(`${name}-crd-${crdName}`, {
            ...(crd as object),
            metadata: {
              ...(crd.metadata as object),
              // CRDs are cluster-wide: another stack (or the platform team) may apply the same ones.
              annotations: { ...((crd.metadata as { annotations?: Record<string, string> }).annotations ?? {}), "pulumi.com/patchForce": "true" },
            },
          } as unknown as k8s.apiextensions.v1.CustomResourceDefinitionArgs, {
            parent: this,
            provider: t.provider,
            // Deleting a CRD deletes every object of its kind in the whole cluster: never on destroy.
            retainOnDelete: true,
          }));
        }
      }
    }
    this.ready.push(...crds);
    if (args.settings.operators === "install") {
      for (const op of args.needed) {
        const { chart: pin } = pinOf(op);
        const oci = pin.repository.startsWith("oci://");
        const dir = args.chartDirs?.[op];
        const chart = new k8s.helm.v4.Chart(`${name}-${op}`, {
          ...(dir !== undefined
            ? { chart: dir }
            : { chart: oci ? `${pin.repository}/${pin.name}` : pin.name, version: pin.version, repositoryOpts: oci ? undefined : { repo: pin.repository } }),
          // The release (and the cluster-scoped names charts derive from it) is the stack's own.
          name: releaseName(op, t.namespaceName),
          namespace: t.namespace,
          // CRDs are the stack's own resources above; a chart must never install (or later skip updating) them.
          skipCrds: true,
          values: namespacedValues(op, t.namespaceName, pin.values),
        }, { parent: this, provider: t.provider, dependsOn: crds, transforms: [clusterScopedPerStack(releaseName(op, t.namespaceName), t.namespaceName)] });
        this.ready.push(chart);
      }
    }
    this.registerOutputs({});
  }
}

/** A Helm release name per stack and operator (a DNS label, at most 53 characters as Helm requires). */
export function releaseName(op: Operator, namespace: string): string {
  return `${op}-${namespace}`.slice(0, 53).replace(/-+$/, "");
}

const CLUSTER_ROLE = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole";
const CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding";

interface ObjectMeta {
  readonly name?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/**
 * Makes a chart's cluster-scoped RBAC objects that are named without its release (Strimzi 1.2.0:
 * the ClusterRoles `strimzi-cluster-operator-{namespaced,global,leader-election,watched}`,
 * `strimzi-kafka-broker`, `strimzi-entity-operator`, `strimzi-kafka-client`, and the
 * ClusterRoleBindings `strimzi-cluster-operator` and `…-kafka-{broker,client}-delegation`) coexist
 * with another stack's install of the same chart:
 * - a ClusterRoleBinding binds this release's ServiceAccount, so it is the stack's own: its name
 *   gains the namespace, and it goes with the stack;
 * - a ClusterRole keeps its name, because the operator refers to some by name
 *   (`strimzi-kafka-broker` and `strimzi-kafka-client` in the bindings it makes for rack awareness).
 *   It is shared like the CRDs: the `release` label is dropped, so every stack of one chart
 *   version applies the same object (server-side apply: co-owned, no conflict), and it is retained
 *   on destroy, since another stack's bindings may still refer to it.
 * Objects whose name includes the release (CloudNativePG's) are left alone.
 */
export function clusterScopedPerStack(release: string, namespace: string): pulumi.ResourceTransform {
  return (args) => {
    if (args.type !== CLUSTER_ROLE && args.type !== CLUSTER_ROLE_BINDING) return undefined;
    const metadata = (args.props.metadata ?? {}) as ObjectMeta;
    if (metadata.name === undefined || metadata.name.includes(release)) return undefined;
    if (args.type === CLUSTER_ROLE_BINDING) {
      return { props: { ...args.props, metadata: { ...metadata, name: perStackName(metadata.name, namespace) } }, opts: args.opts };
    }
    const { release: _, ...labels } = metadata.labels ?? {};
    return {
      props: { ...args.props, metadata: { ...metadata, labels, annotations: { ...metadata.annotations, "pulumi.com/patchForce": "true" } } },
      opts: { ...args.opts, retainOnDelete: true },
    };
  };
}

/** `<name>-<namespace>`, within the 253 characters of an object name. */
export function perStackName(name: string, namespace: string): string {
  const suffix = `-${namespace}`;
  return `${name.slice(0, 253 - suffix.length)}${suffix}`;
}

/**
 * The chart values that make an operator watch its stack's namespace only, over the pinned ones:
 * the charts' defaults are cluster-wide (CloudNativePG) or configurable (Strimzi, MCK), and a
 * cluster-wide operator per stack would reconcile every other stack's resources too.
 */
export function namespacedValues(op: Operator, namespace: string, pinned: Record<string, unknown>): Record<string, unknown> {
  const scoped: Record<Operator, Record<string, unknown>> = {
    strimzi: { watchNamespaces: [], watchAnyNamespace: false },
    "cloudnative-pg": { config: { clusterWide: false } },
    "mongodb-kubernetes": { operator: { watchNamespace: namespace } },
  };
  return deepMerge(pinned, scoped[op]);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === "object" && !Array.isArray(prev) && v && typeof v === "object" && !Array.isArray(v) ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}
