import type { MongoClientOptions } from "mongodb";

/**
 * Every MongoDB wait is bounded: server selection and connecting (a store that is down), and
 * each socket read (a store that accepts connections and never answers, e.g. a stopped
 * process). A hung store then fails the batch, which is retried, instead of freezing the worker.
 * `timeoutMs` must exceed the slowest legitimate bulk write.
 */
export function mongoOptions(appName: string, timeoutMs: number): MongoClientOptions {
  return {
    appName,
    serverSelectionTimeoutMS: Math.min(timeoutMs, 30_000),
    connectTimeoutMS: Math.min(timeoutMs, 30_000),
    socketTimeoutMS: timeoutMs,
    waitQueueTimeoutMS: timeoutMs,
  };
}
