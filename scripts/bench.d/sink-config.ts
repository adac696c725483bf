/**
 * The official MongoDB Kafka sink connector, configured the way its users configure it behind
 * Debezium: the peer scripts/bench measures coexist against.
 *
 * Why ExtractNewRecordState in the sink rather than the connector's Debezium CDC handler
 * (`change.data.capture.handler=...cdc.debezium.rdbms.postgres.PostgresHandler`): the handler
 * writes `_id` as the whole key document (`{_id: {order_id: 1}}`) and reads the envelope's
 * nested `after`, where no Kafka SMT can reach the NUMERIC column; the flattening SMT plus a key
 * rename gives `_id` = the key column, the shape coexist writes, and is what Debezium's and
 * MongoDB's own examples of a Debezium → MongoDB sink show. Deletes: the SMT turns each delete
 * into a tombstone (its default `delete.tombstone.handling.mode=tombstone`), which
 * `delete.on.null.values` deletes by `_id`.
 *
 * One accommodation for the local store, the same coexist gets from its compat switch: FerretDB
 * v1 cannot store Decimal128 (it drops the connection), so NUMERIC columns are cast to their
 * decimal text. On MongoDB users would leave them as Decimal128.
 */
export interface SinkConfigInput {
  readonly name: string;
  readonly topic: string;
  readonly tasks: number;
  readonly mongoUrl: string;
  readonly database: string;
  readonly collection: string;
  /** The key column, renamed to `_id`. */
  readonly key: string;
  /** NUMERIC columns of the table, written as decimal text (FerretDB has no Decimal128). */
  readonly decimalColumns: readonly string[];
}

export function renderSinkConfig(i: SinkConfigInput): Record<string, string> {
  if (!Number.isInteger(i.tasks) || i.tasks < 1) throw new Error(`sink connector tasks.max must be a positive integer, found ${i.tasks}`);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(i.key)) throw new Error(`sink connector key column must be a plain identifier, found "${i.key}"`);
  const transforms = ["unwrap", "keyToId", ...(i.decimalColumns.length > 0 ? ["decimalsAsText"] : [])];
  return {
    "connector.class": "com.mongodb.kafka.connect.MongoSinkConnector",
    "tasks.max": String(i.tasks),
    topics: i.topic,
    "connection.uri": i.mongoUrl,
    database: i.database,
    collection: i.collection,
    // The CDC topics' converters: keys JSON without schema, values JSON with schema.
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "false",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "true",
    transforms: transforms.join(","),
    "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
    "transforms.keyToId.type": "org.apache.kafka.connect.transforms.ReplaceField$Key",
    "transforms.keyToId.renames": `${i.key}:_id`,
    ...(i.decimalColumns.length > 0
      ? { "transforms.decimalsAsText.type": "org.apache.kafka.connect.transforms.Cast$Value", "transforms.decimalsAsText.spec": i.decimalColumns.map((c) => `${c}:string`).join(",") }
      : {}),
    // Key as _id, replace-one upserts, deletes on tombstones.
    "document.id.strategy": "com.mongodb.kafka.connect.sink.processor.id.strategy.ProvidedInKeyStrategy",
    "writemodel.strategy": "com.mongodb.kafka.connect.sink.writemodel.strategy.ReplaceOneDefaultStrategy",
    "delete.on.null.values": "true",
    "errors.tolerance": "none",
  };
}
