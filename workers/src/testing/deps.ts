/**
 * Re-exports the workers' dependencies for the root integration tests and
 * the bench (test/, scripts/bench), which live outside this package and
 * so cannot resolve its node_modules by package name.
 */
export { Admin, Consumer, Producer, MessagesStreamModes, MessagesStreamFallbackModes, ProduceAcks } from "@platformatic/kafka";
export { MongoClient, Decimal128, Long, Binary, type Db, type Document } from "mongodb";
export { default as pg } from "pg";
