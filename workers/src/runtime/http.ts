import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";

export interface HealthState {
  /** Liveness: false only when the process can no longer make progress and should be restarted. */
  live(): boolean;
  /** Readiness: consuming and the last MongoDB write succeeded. */
  ready(): boolean;
}

/** Serves /metrics, /healthz (liveness) and /readyz (readiness). */
export function startHttp(port: number, registry: Registry, health: HealthState, host = "0.0.0.0"): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") {
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { "content-type": registry.contentType });
          res.end(text);
        })
        .catch((e: Error) => {
          res.writeHead(500).end(e.message);
        });
      return;
    }
    if (path === "/healthz" || path === "/readyz") {
      const ok = path === "/healthz" ? health.live() : health.ready();
      res.writeHead(ok ? 200 : 503, { "content-type": "text/plain" }).end(ok ? "ok\n" : "not ok\n");
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
  });
}
