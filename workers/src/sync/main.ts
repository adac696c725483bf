import { MongoClient } from "mongodb";
import { LibrdkafkaDeadLetterSink, LibrdkafkaSource } from "../kafka/librdkafka.js";
import { mongoOptions } from "../mongo/client.js";
import { decodeOptionsFor, storeFlavor } from "../mongo/compat.js";
import { purgeTombstones } from "../mongo/purge.js";
import { applyTruncate } from "../mongo/truncate.js";
import { writeChanges } from "../mongo/writer.js";
import { ConfigError, loadConfig, requireEnv } from "../runtime/config.js";
import { startHttp } from "../runtime/http.js";
import { Liveness } from "../runtime/liveness.js";
import { jsonLogger } from "../runtime/log.js";
import { SyncMetrics } from "../runtime/metrics.js";
import { BatchProcessor } from "./processor.js";
import { SyncWorker } from "./worker.js";

const log = jsonLogger("sync");

/** Entrypoint: `node dist/sync/main.js [--config file]`. Exit 0 after SIGTERM/SIGINT once the batch in hand is committed. */
async function main(): Promise<number> {
  let config, mongoUrl, flavor;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
    mongoUrl = requireEnv(process.env, "MONGODB_URL", "mongodb://user:pass@host:27017/?replicaSet=rs0");
    flavor = storeFlavor(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(e.message);
      return 2;
    }
    throw e;
  }

  const metrics = new SyncMetrics();
  const mongo = new MongoClient(mongoUrl, mongoOptions(config.kafka.clientId, config.mongodb.timeoutMs));
  await mongo.connect();
  const db = mongo.db(config.mongodb.database);
  const kafka = { brokers: config.kafka.brokers, clientId: config.kafka.clientId, timeoutMs: config.kafka.timeoutMs, sasl: config.kafka.sasl, ssl: config.kafka.tls };
  const source = new LibrdkafkaSource({ ...kafka, groupId: config.kafka.groupId, bufferRecords: config.batch.maxRecords * 2 });
  const dlq = new LibrdkafkaDeadLetterSink(kafka, config.dlqTopic);
  const processor = new BatchProcessor({
    captures: config.captures,
    store: { write: (collection, changes) => writeChanges(db, collection, changes, flavor), truncate: (t) => applyTruncate(db, t) },
    dlq,
    metrics,
    decode: decodeOptionsFor(flavor),
  });
  const topics = config.captures.map((c) => c.topic);
  const liveness = new Liveness(config.health.stallSeconds * 1000);
  const worker = new SyncWorker({ source, processor, topics, batch: config.batch, metrics, log, liveness });
  // Pods need 0.0.0.0 for scraping; local runs pass COEXIST_METRICS_HOST=127.0.0.1.
  const http = await startHttp(config.metrics.port, metrics.registry, worker, process.env.COEXIST_METRICS_HOST ?? "0.0.0.0");

  const lagTimer = setInterval(() => {
    metrics.rebalances.set(source.rebalances);
    source.lag(topics).then(
      (lag) => {
        let total = 0n;
        for (const [tp, l] of lag) {
          const i = tp.lastIndexOf(":");
          metrics.consumerLag.set({ topic: tp.slice(0, i), partition: tp.slice(i + 1) }, Number(l));
          total += l;
        }
        liveness.lagObserved(total);
      },
      () => metrics.errors.inc({ stage: "lag" }),
    );
  }, 5_000);
  lagTimer.unref();

  let purging = false;
  const purgeTimer = setInterval(() => {
    if (purging) return;
    purging = true;
    (async () => {
      for (const c of config.captures) {
        metrics.purged.inc({ collection: c.collection }, await purgeTombstones(db, c.collection, config.tombstones.ttlSeconds));
      }
    })()
      .catch((e: Error) => {
        metrics.errors.inc({ stage: "purge" });
        log.warn("tombstone purge failed; retried at the next interval", { error: e.message });
      })
      .finally(() => (purging = false));
  }, config.tombstones.purgeIntervalSeconds * 1000);
  purgeTimer.unref();

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      log.info("stopping after the batch in hand", { signal });
      worker.stop();
    });
  }

  log.info("starting", { flavor, topics, groupId: config.kafka.groupId, dlqTopic: config.dlqTopic });
  let clean = false;
  try {
    clean = await worker.run();
  } finally {
    clearInterval(lagTimer);
    clearInterval(purgeTimer);
    await Promise.allSettled([source.close(), dlq.close(), mongo.close()]);
    http.close();
  }
  log.info("stopped", { clean });
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    log.error("fatal", { error: e.message, stack: e.stack });
    process.exit(1);
  },
);
