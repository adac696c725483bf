import { writeFileSync } from "node:fs";
import { ConfigError } from "../runtime/config.js";
import { jsonLogger } from "../runtime/log.js";
import { parseSlotWaitEnv, slotReader, waitSlotReleased } from "./wait.js";

const log = jsonLogger("slot-probe");

/** Entrypoint: `node dist/slot/wait-main.js` (./wait.ts says what it does and how it is configured). */
async function main(): Promise<number> {
  let config;
  try {
    config = parseSlotWaitEnv(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(e.message);
      return 2;
    }
    throw e;
  }
  const reader = slotReader(config.postgresUrl, config.slot, config.queryTimeoutMs);
  try {
    const result = await waitSlotReleased(config.slot, reader.read, config.waitMs);
    const line = JSON.stringify(result);
    // The termination message (at most 4096 bytes): what the provider reads back.
    writeFileSync(config.resultFile, line);
    process.stdout.write(`${line}\n`);
    return result.released ? 0 : 1;
  } finally {
    await reader.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    log.error("fatal", { error: e.message });
    process.exit(1);
  },
);
