import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderSinkConfig } from "./sink-config";

const input = { name: "s", topic: "p.public.orders", tasks: 3, mongoUrl: "mongodb://127.0.0.1:27017/", database: "db", collection: "orders", key: "order_id", decimalColumns: ["total"] };

describe("the MongoDB sink connector as its users configure it behind Debezium", () => {
  it("flattens the envelope, writes the key column as _id with replace-one upserts and deletes on tombstones", () => {
    const c = renderSinkConfig(input);
    assert.equal(c["connector.class"], "com.mongodb.kafka.connect.MongoSinkConnector");
    assert.equal(c["tasks.max"], "3");
    assert.equal(c["transforms.unwrap.type"], "io.debezium.transforms.ExtractNewRecordState");
    assert.equal(c["transforms.keyToId.renames"], "order_id:_id");
    assert.match(c["document.id.strategy"] ?? "", /ProvidedInKeyStrategy$/);
    assert.match(c["writemodel.strategy"] ?? "", /ReplaceOneDefaultStrategy$/);
    assert.equal(c["delete.on.null.values"], "true");
    assert.equal(c["value.converter.schemas.enable"], "true");
    assert.equal(c["key.converter.schemas.enable"], "false");
  });

  it("writes NUMERIC columns as decimal text only when the table has some", () => {
    assert.equal(renderSinkConfig(input)["transforms.decimalsAsText.spec"], "total:string");
    const none = renderSinkConfig({ ...input, decimalColumns: [] });
    assert.equal(none.transforms, "unwrap,keyToId");
    assert.equal(none["transforms.decimalsAsText.type"], undefined);
  });

  it("refuses a task count that is not a positive integer and a key that is not an identifier", () => {
    assert.throws(() => renderSinkConfig({ ...input, tasks: 0 }), /tasks.max must be a positive integer, found 0/);
    assert.throws(() => renderSinkConfig({ ...input, key: "a:b" }), /plain identifier, found "a:b"/);
  });
});
