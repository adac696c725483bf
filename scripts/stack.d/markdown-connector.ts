/**
 * The Debezium connector's config changes in a preview, key by key, with the same rules the
 * connector resource applies (components/connect/connector-diff.ts): secrets masked (a literal
 * under a sensitive key shows as [secret]; config-provider references stay readable), and the keys
 * that mean a different replication stream marked as replacing the connector.
 */
import { REPLACE_ON_CHANGE } from "../../components/connect/connector-config";
import { diffConnectorConfig, FieldChange } from "../../components/connect/connector-diff";
import { connectorConfig } from "../../policy/shapes";
import type { ChangeOp, ResourceChange } from "./markdown";
import type { Json } from "./markdown-values";

export interface ConnectorDiff {
  readonly label: string;
  readonly op: ChangeOp;
  readonly changes: readonly FieldChange[];
}

function configOf(c: ResourceChange, inputs: Json | undefined): Record<string, string> | undefined {
  if (inputs === undefined || inputs === null) return undefined;
  const props = inputs as Record<string, unknown>;
  const config = connectorConfig({ type: c.type, name: c.name, urn: c.urn, props });
  if (!config) return undefined;
  // A KafkaConnector keeps the class and task count beside its config (renderKafkaConnectorSpec).
  const spec = props.spec as Record<string, unknown> | undefined;
  const lifted = c.type === "pulumi-nodejs:dynamic/coexist:Connector" ? {} : {
    ...(spec?.class !== undefined ? { "connector.class": String(spec.class) } : {}),
    ...(spec?.tasksMax !== undefined ? { "tasks.max": String(spec.tasksMax) } : {}),
  };
  return { ...lifted, ...config };
}

export function connectorDiffs(changes: readonly ResourceChange[]): ConnectorDiff[] {
  return changes.flatMap((c) => {
    const before = configOf(c, c.before);
    const after = configOf(c, c.after);
    if (!before && !after) return [];
    // A key that would replace a running connector replaces nothing when the connector is new or going.
    const diff = diffConnectorConfig(before ?? {}, after ?? {}, c.op === "create" || c.op === "delete" ? [] : REPLACE_ON_CHANGE);
    return diff.length > 0 ? [{ label: c.label, op: c.op, changes: diff }] : [];
  });
}
