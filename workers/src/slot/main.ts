import { createServer } from "node:http";
import { ConfigError } from "../runtime/config.js";
import { jsonLogger } from "../runtime/log.js";
import { parseSlotExporterEnv, type SlotExporterConfig } from "./config.js";
import { readSlots } from "./query.js";
import { renderSlotMetrics, type ScrapeResult } from "./render.js";

const log = jsonLogger("slot-exporter");

/**
 * Entrypoint: `node dist/slot/main.js`, configured from the environment (./config.ts).
 * Serves /metrics (queries PostgreSQL on each scrape, bounded by COEXIST_SLOT_QUERY_TIMEOUT_MS),
 * /healthz (the process serves) and /readyz (the last query succeeded). Exit 0 on SIGTERM/SIGINT,
 * 2 on bad config.
 */
async function main(): Promise<number> {
  let config: SlotExporterConfig;
  try {
    config = parseSlotExporterEnv(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(e.message);
      return 2;
    }
    throw e;
  }

  let lastOk = false;
  let inFlight: Promise<ScrapeResult> | undefined;
  // Concurrent scrapes (two Prometheus replicas) share one query instead of doubling the load.
  const scrape = (): Promise<ScrapeResult> => {
    inFlight ??= (async () => {
      const started = process.hrtime.bigint();
      const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
      try {
        const snapshot = await readSlots(config.postgresUrl, config.slots, config.queryTimeoutMs);
        if (!lastOk) log.info("slots readable", { slots: config.slots });
        lastOk = true;
        return { ok: true as const, snapshot, seconds: seconds() };
      } catch (e) {
        // Logged on every failure: a scrape every 15-30 s is not a flood, and each says why.
        log.warn("slot query failed", { error: (e as Error).message });
        lastOk = false;
        return { ok: false as const, seconds: seconds() };
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      void scrape().then((result) => {
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
        res.end(renderSlotMetrics(config.slots, result));
      });
      return;
    }
    if (path === "/healthz" || path === "/readyz") {
      const ok = path === "/healthz" || lastOk;
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ok\n");
      return;
    }
    res.writeHead(404).end();
  });
  // A slow client cannot hold a socket for ever.
  server.requestTimeout = config.queryTimeoutMs * 3;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address();
  log.info("serving", { port: typeof address === "object" && address ? address.port : config.port, host: config.host, slots: config.slots });
  // Readiness from the first scrape on, not from the first Prometheus visit.
  void scrape();

  await new Promise<void>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => resolve());
  });
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    log.error("fatal", { error: e.message });
    process.exit(1);
  },
);
