import type { DecodeOptions } from "../decode/connect.js";
import { ConfigError } from "../runtime/config.js";

/**
 * The document store the worker talks to. `mongodb` (the default, and what
 * every deployed stack uses) stores NUMERIC as Decimal128. `ferretdb-v1` is
 * a test-only switch for the local data plane: FerretDB v1 has no
 * Decimal128, so NUMERIC is stored as its exact decimal text. It is set
 * through COEXIST_MONGODB_COMPAT, never rendered by the stack.
 */
export type StoreFlavor = "mongodb" | "ferretdb-v1";

export function storeFlavor(env: NodeJS.ProcessEnv): StoreFlavor {
  const v = env.COEXIST_MONGODB_COMPAT ?? "mongodb";
  if (v !== "mongodb" && v !== "ferretdb-v1") {
    throw new ConfigError("COEXIST_MONGODB_COMPAT", v, 'unset it (real MongoDB) or set "ferretdb-v1" for the local FerretDB test data plane');
  }
  return v;
}

export function decodeOptionsFor(flavor: StoreFlavor): DecodeOptions {
  return { decimals: flavor === "ferretdb-v1" ? "string" : "decimal128" };
}
