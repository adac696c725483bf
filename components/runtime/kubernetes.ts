import { createHmac } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FileSpec, HttpProbe, ServiceSpec } from "./service";
import { KubernetesTarget } from "./target";

export interface KubernetesService {
  /** The workload: a Deployment, StatefulSet or Job. */
  readonly workload: pulumi.CustomResource;
  /** The Service, when a port is exposed. */
  readonly service?: k8s.core.v1.Service;
  /** Labels that select the service's pods (for NetworkPolicies). */
  readonly selector: Record<string, string>;
}

/** The user a container runs as when its spec names none: the restricted Pod Security profile forbids root. */
export const DEFAULT_UID = 10001;

const DEFAULT_RESOURCES = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } };

/** Labels selecting one service's pods inside the stack's namespace. */
export function selectorLabels(spec: Pick<ServiceSpec, "host">): Record<string, string> {
  return { "app.kubernetes.io/name": spec.host };
}

/** Which workload kind realises a spec. */
export function workloadKind(spec: ServiceSpec): "Deployment" | "StatefulSet" | "Job" {
  if (spec.job) return "Job";
  return (spec.volumes ?? []).length > 0 ? "StatefulSet" : "Deployment";
}

/** Names of the objects that carry a spec's files and secret env. */
export function configObjectNames(spec: Pick<ServiceSpec, "host">): { files: string; secretFiles: string; env: string } {
  return { files: `${spec.host}-files`, secretFiles: `${spec.host}-secret-files`, env: `${spec.host}-env` };
}

/** The key a file is stored under in its ConfigMap/Secret: its path, made a valid key. */
export function fileKey(file: Pick<FileSpec, "path">): string {
  return file.path.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * A checksum over everything a pod reads at start (files and env): a pod-template annotation, so a
 * changed config rolls the pods instead of leaving them on the old one. An HMAC-SHA256 keyed by the
 * stack's own secret key: a plain digest of a low-entropy secret (a password) shown in the
 * annotation and in PR previews could be brute-forced offline; without the key this cannot.
 */
export function configChecksum(spec: ServiceSpec, key: pulumi.Input<string>): pulumi.Output<string> {
  const parts = [
    ...(spec.files ?? []).map((f) => pulumi.interpolate`${f.path}\u0000${f.content}`),
    ...Object.entries(spec.env ?? {}).map(([k, v]) => pulumi.interpolate`env:${k}=${v}`),
    ...Object.entries(spec.secretEnv ?? {}).map(([k, v]) => pulumi.interpolate`secret:${k}=${v}`),
  ];
  // Keyed, so the result reveals nothing about the secrets; unsecret keeps the annotation readable in previews.
  return pulumi.unsecret(pulumi.all([key, pulumi.all(parts)]).apply(([k, p]) => {
    if (!k) throw new Error(`service ${spec.host}: the stack's checksum key is empty; fix: pass the StackNamespace's target`);
    return createHmac("sha256", k).update(p.join("\u0001")).digest("hex");
  }));
}

function octal(mode: string | undefined): number {
  return parseInt(mode ?? "0644", 8);
}

/**
 * Secret files belong to root with the pod's fsGroup as group; 0440 makes them readable by the
 * service's own user (through that group) and nobody else, whatever mode the spec asked for on
 * Docker (where uploads cannot set an owner and some must be world-readable).
 */
export const SECRET_FILE_MODE = 0o440;

function probe(p: HttpProbe): k8s.types.input.core.v1.Probe {
  return { httpGet: { path: p.path, port: p.port }, periodSeconds: p.periodSeconds ?? 10, failureThreshold: p.failureThreshold ?? 3, timeoutSeconds: 5 };
}

function execProbe(spec: ServiceSpec): k8s.types.input.core.v1.Probe | undefined {
  const h = spec.healthcheck;
  return h && { exec: { command: h.command }, periodSeconds: h.intervalSeconds ?? 5, failureThreshold: h.retries ?? 30, initialDelaySeconds: h.startPeriodSeconds ?? 10, timeoutSeconds: 5 };
}

/**
 * The pod template of a spec: restricted Pod Security (non-root, no privilege escalation, no
 * capabilities, RuntimeDefault seccomp, read-only root filesystem with declared scratch dirs),
 * files mounted one by one from a ConfigMap or Secret, secret env from a Secret, no service-account
 * token (none of our workloads talks to the Kubernetes API).
 */
export function renderPodTemplate(spec: ServiceSpec, labels: Record<string, string>, checksum: pulumi.Input<string>): k8s.types.input.core.v1.PodTemplateSpec {
  const names = configObjectNames(spec);
  const files = spec.files ?? [];
  const plain = files.filter((f) => !f.secret);
  const secret = files.filter((f) => f.secret);
  const uid = spec.user !== undefined ? Number(spec.user.split(":")[0]) : DEFAULT_UID;
  if (!Number.isInteger(uid) || uid <= 0) {
    throw new Error(`service ${spec.host}: user must be a numeric non-root uid on Kubernetes, got "${spec.user}"; fix: set user to e.g. "10001"`);
  }
  const volumes: k8s.types.input.core.v1.Volume[] = [];
  const mounts: k8s.types.input.core.v1.VolumeMount[] = [];
  if (plain.length > 0) {
    volumes.push({ name: "files", configMap: { name: names.files, items: plain.map((f) => ({ key: fileKey(f), path: fileKey(f), mode: octal(f.mode) })) } });
    mounts.push(...plain.map((f) => ({ name: "files", mountPath: f.path, subPath: fileKey(f), readOnly: true })));
  }
  if (secret.length > 0) {
    volumes.push({ name: "secret-files", secret: { secretName: names.secretFiles, items: secret.map((f) => ({ key: fileKey(f), path: fileKey(f), mode: SECRET_FILE_MODE })) } });
    mounts.push(...secret.map((f) => ({ name: "secret-files", mountPath: f.path, subPath: fileKey(f), readOnly: true })));
  }
  (spec.scratch ?? []).forEach((dir, i) => {
    volumes.push({ name: `scratch-${i}`, emptyDir: {} });
    mounts.push({ name: `scratch-${i}`, mountPath: dir });
  });
  for (const v of spec.volumes ?? []) mounts.push({ name: v.name, mountPath: v.path });

  const env: k8s.types.input.core.v1.EnvVar[] = [
    ...Object.entries(spec.env ?? {}).map(([name, value]) => ({ name, value })),
    ...Object.keys(spec.secretEnv ?? {}).map((name) => ({ name, valueFrom: { secretKeyRef: { name: names.env, key: name } } })),
    ...Object.entries(spec.secretRefEnv ?? {}).map(([name, ref]) => ({ name, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } })),
  ];
  const long = !spec.job;
  const readiness = spec.probes?.readiness ? probe(spec.probes.readiness) : long ? execProbe(spec) : undefined;
  const liveness = spec.probes?.liveness ? probe(spec.probes.liveness) : long ? execProbe(spec) : undefined;
  return {
    metadata: { labels, annotations: { "coexist.dev/config-checksum": checksum } },
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: long ? "Always" : "OnFailure",
      securityContext: { runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: spec.host,
          image: spec.image,
          command: spec.entrypoint,
          args: spec.command,
          env: env.length > 0 ? env : undefined,
          ports: (spec.ports ?? []).map((p) => ({ name: p.name, containerPort: p.container })),
          volumeMounts: mounts.length > 0 ? mounts : undefined,
          readinessProbe: readiness,
          livenessProbe: liveness,
          resources: {
            requests: { ...DEFAULT_RESOURCES.requests, ...spec.resources?.requests },
            limits: { ...DEFAULT_RESOURCES.limits, ...spec.resources?.limits },
          },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
        },
      ],
      volumes: volumes.length > 0 ? volumes : undefined,
    },
  };
}

/** Realises a `ServiceSpec` in the stack's namespace: its config objects, its workload and its Service. */
export function runOnKubernetes(name: string, spec: ServiceSpec, target: KubernetesTarget, opts: pulumi.CustomResourceOptions): KubernetesService {
  const o: pulumi.CustomResourceOptions = { ...opts, provider: target.provider };
  const names = configObjectNames(spec);
  const selector = selectorLabels(spec);
  const labels = { ...target.labels, ...selector, "app.kubernetes.io/component": spec.role ?? spec.host };
  const metadata = (objectName: string) => ({ name: objectName, namespace: target.namespace, labels });
  const files = spec.files ?? [];
  const configs: pulumi.Resource[] = [];
  if (files.some((f) => !f.secret)) {
    configs.push(new k8s.core.v1.ConfigMap(`${name}-files`, { metadata: metadata(names.files), data: Object.fromEntries(files.filter((f) => !f.secret).map((f) => [fileKey(f), f.content])) }, o));
  }
  if (files.some((f) => f.secret)) {
    configs.push(new k8s.core.v1.Secret(`${name}-secret-files`, { metadata: metadata(names.secretFiles), type: "Opaque", stringData: Object.fromEntries(files.filter((f) => f.secret).map((f) => [fileKey(f), pulumi.secret(f.content)])) }, o));
  }
  if (Object.keys(spec.secretEnv ?? {}).length > 0) {
    configs.push(new k8s.core.v1.Secret(`${name}-env`, { metadata: metadata(names.env), type: "Opaque", stringData: Object.fromEntries(Object.entries(spec.secretEnv ?? {}).map(([k, v]) => [k, pulumi.secret(v)])) }, o));
  }
  const template = renderPodTemplate(spec, labels, configChecksum(spec, target.checksumKey));
  const wo: pulumi.CustomResourceOptions = { ...o, dependsOn: mergeDependsOn(opts.dependsOn, configs) };
  const workload = createWorkload(name, spec, target, metadata(spec.host), selector, template, wo);

  const exposed = (spec.ports ?? []).filter((p) => (p.exposure ?? "cluster") !== "none" && !spec.job);
  let service: k8s.core.v1.Service | undefined;
  if (exposed.length > 0) {
    const isPublic = exposed.some((p) => p.exposure === "public");
    if (isPublic && exposed.some((p) => p.exposure !== "public")) {
      throw new Error(`service ${spec.host}: public and cluster-only ports cannot share one Service; fix: expose the cluster-only ones with exposure "none" or split the service`);
    }
    service = new k8s.core.v1.Service(`${name}-service`, {
      metadata: metadata(spec.host),
      spec: { type: isPublic ? target.publicServiceType : "ClusterIP", selector, ports: exposed.map((p) => ({ name: p.name, port: p.container, targetPort: p.name })) },
    }, o);
  }
  if ((spec.replicas ?? 1) > 1 && workloadKind(spec) !== "Job") {
    // A node drain may take at most one replica at a time.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-pdb`, { metadata: metadata(spec.host), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, o);
  }
  return { workload, service, selector };
}

function mergeDependsOn(a: pulumi.CustomResourceOptions["dependsOn"], b: pulumi.Resource[]): pulumi.Input<pulumi.Input<pulumi.Resource>[]> {
  if (a === undefined) return b;
  return pulumi.output(a).apply((list) => [...(Array.isArray(list) ? list : [list]), ...b]);
}

function createWorkload(
  name: string,
  spec: ServiceSpec,
  target: KubernetesTarget,
  metadata: k8s.types.input.meta.v1.ObjectMeta,
  selector: Record<string, string>,
  template: k8s.types.input.core.v1.PodTemplateSpec,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  switch (workloadKind(spec)) {
    case "Job":
      // A Job's template is immutable: a change replaces it, deleting the old one first (same name).
      return new k8s.batch.v1.Job(name, { metadata, spec: { backoffLimit: 6, template } }, { ...opts, deleteBeforeReplace: true });
    case "StatefulSet":
      return new k8s.apps.v1.StatefulSet(name, {
        metadata,
        spec: {
          serviceName: spec.host,
          replicas: spec.replicas ?? 1,
          selector: { matchLabels: selector },
          template,
          volumeClaimTemplates: (spec.volumes ?? []).map((v) => ({
            metadata: { name: v.name },
            spec: { accessModes: ["ReadWriteOnce"], storageClassName: target.storageClass, resources: { requests: { storage: v.size ?? "1Gi" } } },
          })),
        },
      }, opts);
    case "Deployment":
      return new k8s.apps.v1.Deployment(name, {
        metadata,
        spec: { replicas: spec.replicas ?? 1, selector: { matchLabels: selector }, template, strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } },
      }, opts);
  }
}
