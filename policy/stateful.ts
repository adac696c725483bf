import { get, isKube, kubeKind, list, Resource, TYPES } from "./shapes";

/**
 * Which resources hold data that a delete or a replacement loses: the policy pack requires them
 * protected in prod, and `scripts/stack preview --markdown` flags their replacement or deletion.
 * Returns what is lost, for the reader, or undefined for a resource that holds nothing.
 */
export function statefulReason(r: Pick<Resource, "type" | "props">): string | undefined {
  switch (r.type) {
    case TYPES.pgSlot:
      return "replication slot: dropping it loses the connector's position; a new one starts without the changes in between";
    case TYPES.pgPublication:
      return "publication: the replication slot streams through it";
    case TYPES.kafkaTopic:
      return "Kafka topic: its records";
    case TYPES.dockerVolume:
      return "Docker volume: the data on it";
    case TYPES.atlasAdvancedCluster:
    case TYPES.atlasCluster:
      return "MongoDB Atlas cluster: the read model";
  }
  const k = kubeKind(r);
  if (!k) return undefined;
  const byKind: Record<string, string> = {
    "postgresql.cnpg.io/Cluster": "PostgreSQL cluster (CloudNativePG): the system of record",
    "postgresql.cnpg.io/Publication": "publication: the replication slot streams through it",
    "kafka.strimzi.io/Kafka": "Kafka cluster: every topic and its records",
    "kafka.strimzi.io/KafkaNodePool": "Kafka node pool: the brokers' volumes",
    "kafka.strimzi.io/KafkaTopic": "Kafka topic: its records",
    "mongodbcommunity.mongodb.com/MongoDBCommunity": "MongoDB replica set: the read model",
    "mongodb.com/MongoDB": "MongoDB replica set: the read model",
    "/PersistentVolumeClaim": "persistent volume claim: the data on it",
    "/PersistentVolume": "persistent volume: the data on it",
    "/Namespace": "namespace: deleting it deletes everything inside, retained resources included",
  };
  const reason = byKind[`${k.group}/${k.kind}`];
  if (reason) return reason;
  if (isKube(r, "apps", "StatefulSet") && list(get(r.props, "spec", "volumeClaimTemplates")).length > 0) {
    return "StatefulSet with volume claims: its pods' volumes";
  }
  return undefined;
}
