import { createHash } from "node:crypto";

export const KAFKA_HOST = "kafka";
export const KAFKA_INTERNAL_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
/** Docker: the entrypoint's loopback listener (container-auth.ts). */
export const KAFKA_LOCAL_PORT = 9094;

/** A stable 22-character KRaft cluster id derived from the stack name. */
export function kraftClusterId(stack: string): string {
  return createHash("sha256").update(`coexist/${stack}`).digest("base64url").slice(0, 22);
}
