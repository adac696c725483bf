import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LOOPBACK, ServiceSpec } from "./service";
import { DockerTarget } from "./target";

export interface DockerService {
  readonly container: docker.Container;
  readonly volumes: docker.Volume[];
}

/** Realises a `ServiceSpec` as a container (and its named volumes) on the stack's network. */
export function runOnDocker(name: string, spec: ServiceSpec, target: DockerTarget, opts: pulumi.CustomResourceOptions): DockerService {
  if (spec.secretRefEnv && Object.keys(spec.secretRefEnv).length > 0) {
    throw new Error(`service ${spec.host}: secretRefEnv reads Kubernetes Secrets, which the docker target has not; fix: pass the value as secretEnv`);
  }
  if ((spec.replicas ?? 1) !== 1) {
    throw new Error(`service ${spec.host}: the docker target runs one container per service, got replicas ${spec.replicas}; fix: deploy one spec per replica`);
  }
  const withProvider: pulumi.CustomResourceOptions = target.provider ? { ...opts, provider: target.provider } : opts;
  const volumes = (spec.volumes ?? []).map(
    (v) =>
      new docker.Volume(`${name}-${v.name}`, { name: `${target.namePrefix}-${spec.host}-${v.name}`, labels: dockerLabels(target.labels) }, withProvider),
  );
  const container = new docker.Container(
    name,
    {
      name: `${target.namePrefix}-${spec.host}`,
      image: spec.image,
      command: spec.command,
      entrypoints: spec.entrypoint,
      envs: dockerEnv(spec),
      user: spec.user,
      hostname: spec.host,
      networksAdvanced: [{ name: target.network.name, aliases: [spec.host] }],
      ports: (spec.ports ?? [])
        .filter((p) => p.host !== undefined)
        .map((p) => ({ internal: p.container, external: p.host, ip: LOOPBACK, protocol: "tcp" })),
      volumes: (spec.volumes ?? []).map((v, i) => ({ volumeName: volumes[i].name, containerPath: v.path })),
      uploads: (spec.files ?? []).map((f) => ({
        file: f.path,
        content: f.secret ? pulumi.secret(f.content) : f.content,
        permissions: f.mode ?? (f.secret ? "0400" : "0644"),
      })),
      healthcheck: spec.healthcheck && {
        tests: ["CMD", ...spec.healthcheck.command],
        interval: `${spec.healthcheck.intervalSeconds ?? 5}s`,
        retries: spec.healthcheck.retries ?? 30,
        startPeriod: `${spec.healthcheck.startPeriodSeconds ?? 10}s`,
        timeout: "5s",
      },
      // A service waits until healthy, so dependants (connector, topics, grants) never race it;
      // a job runs to completion and its exit code decides the deployment.
      wait: !spec.job && spec.healthcheck !== undefined,
      waitTimeout: 300,
      attach: spec.job ?? false,
      mustRun: !spec.job,
      logs: spec.job ?? false,
      restart: spec.job ? "no" : "unless-stopped",
      labels: dockerLabels(target.labels),
    },
    { ...withProvider, dependsOn: volumes },
  );
  return { container, volumes };
}

/**
 * Plain env stays readable in a preview; each secret entry is its own secret element. The list is
 * deliberately not `pulumi.all`-ed: that would turn the whole list into one secret and hide every
 * plain setting from the reviewer.
 */
export function dockerEnv(spec: Pick<ServiceSpec, "env" | "secretEnv">): pulumi.Input<string>[] | undefined {
  const plain = Object.entries(spec.env ?? {}).map(([k, v]) => pulumi.interpolate`${k}=${v}`);
  const secret = Object.entries(spec.secretEnv ?? {}).map(([k, v]) => pulumi.secret(pulumi.interpolate`${k}=${v}`));
  if (plain.length + secret.length === 0) return undefined;
  return [...plain, ...secret];
}

function dockerLabels(labels: Readonly<Record<string, string>>): { label: string; value: string }[] {
  return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/**
 * The reference a container runs a locally built image by: its digest (the provider reports a local
 * build's image ID as repoDigest), so a rebuilt image with new code replaces the containers, where a
 * constant tag would leave them on the old image.
 */
export function imageDigestRef(image: docker.Image): pulumi.Output<string> {
  return image.repoDigest.apply((digest) => {
    if (!digest || !/(^|@)sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new Error(`the worker image: the Docker provider reported no digest (${JSON.stringify(digest)}); fix: use @pulumi/docker 4.4 or newer, which reports a local build's image ID`);
    }
    return digest;
  });
}
