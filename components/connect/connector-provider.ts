import * as pulumi from "@pulumi/pulumi";
import { assessStatus, ConnectorState, ConnectorStatus, diffConnectorConfig, normaliseServerConfig } from "./connector-diff";
import { REPLACE_ON_CHANGE } from "./connector-config";

/** How long create/update wait for the connector and its tasks to be RUNNING. */
export const DEFAULT_READY_TIMEOUT_MS = 180_000;

interface ProviderInputs extends ConnectorState {
  readonly readyTimeoutMs?: number;
}

/**
 * A Kafka Connect connector as a declarative resource, on Connect's REST API:
 * PUT /connectors/{name}/config for create and update (idempotent), DELETE on destroy, and a
 * wait until the connector and every task are RUNNING (restarting failed tasks once each).
 */
export const connectorProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: ProviderInputs, news: ProviderInputs): Promise<pulumi.dynamic.DiffResult> {
    const changes = diffConnectorConfig(olds.config ?? {}, news.config, REPLACE_ON_CHANGE);
    const renamed = olds.name !== news.name;
    const moved = olds.connectUrl !== news.connectUrl;
    // Property paths: connector keys contain dots, so they are quoted.
    const replaces = [...changes.filter((c) => c.replace).map((c) => `config["${c.key}"]`), ...(renamed ? ["name"] : [])];
    return {
      changes: changes.length > 0 || renamed || moved || olds.readyTimeoutMs !== news.readyTimeoutMs,
      replaces,
      // Two connectors on one replication slot interleave and lose changes: delete the old first.
      deleteBeforeReplace: true,
    };
  },

  async create(inputs: ProviderInputs): Promise<pulumi.dynamic.CreateResult> {
    await putConfig(inputs);
    await waitRunning(inputs);
    return { id: inputs.name, outs: inputs };
  },

  async update(_id: string, _olds: ProviderInputs, news: ProviderInputs): Promise<pulumi.dynamic.UpdateResult> {
    await putConfig(news);
    await waitRunning(news);
    return { outs: news };
  },

  async read(id: string, props: ProviderInputs): Promise<pulumi.dynamic.ReadResult> {
    const res = await fetch(`${props.connectUrl}/connectors/${encodeURIComponent(id)}/config`);
    if (res.status === 404) return { id: undefined as unknown as string, props: {} };
    if (!res.ok) throw new Error(`GET ${props.connectUrl}/connectors/${id}/config: HTTP ${res.status}: ${await res.text()}`);
    const server = (await res.json()) as Record<string, string>;
    return { id, props: { ...props, config: normaliseServerConfig(server, props.config) } };
  },

  async delete(id: string, props: ProviderInputs): Promise<void> {
    const res = await fetch(`${props.connectUrl}/connectors/${encodeURIComponent(id)}`, { method: "DELETE" });
    if (!res.ok && res.status !== 404) throw new Error(`DELETE ${props.connectUrl}/connectors/${id}: HTTP ${res.status}: ${await res.text()}`);
  },
};

async function putConfig(inputs: ProviderInputs): Promise<void> {
  const url = `${inputs.connectUrl}/connectors/${encodeURIComponent(inputs.name)}/config`;
  const res = await fetch(url, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(inputs.config) });
  if (!res.ok) throw new Error(`PUT ${url}: HTTP ${res.status}: ${await res.text()}`);
}

async function waitRunning(inputs: ProviderInputs): Promise<void> {
  const base = `${inputs.connectUrl}/connectors/${encodeURIComponent(inputs.name)}`;
  const deadline = Date.now() + (inputs.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  const restarted = new Set<number>();
  let last = "no status yet";
  while (Date.now() < deadline) {
    const res = await fetch(`${base}/status`);
    if (res.ok) {
      const status = (await res.json()) as ConnectorStatus;
      const verdict = assessStatus(status);
      if (verdict.done) return;
      if (verdict.failure) throw new Error(`connector ${inputs.name}: ${verdict.failure}`);
      for (const task of verdict.failedTasks) {
        if (restarted.has(task)) {
          const trace = status.tasks.find((t) => t.id === task)?.trace ?? "no trace";
          throw new Error(`connector ${inputs.name}: task ${task} FAILED again after a restart:\n${trace}`);
        }
        restarted.add(task);
        await fetch(`${base}/tasks/${task}/restart`, { method: "POST" });
      }
      last = `connector ${status.connector.state}, tasks [${status.tasks.map((t) => `${t.id}:${t.state}`).join(", ")}]`;
    } else {
      last = `HTTP ${res.status}`;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`connector ${inputs.name}: not RUNNING after ${(inputs.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS) / 1000}s (last status: ${last})`);
}
