import type { AdminListen } from "./types";

/** One entry of a Kong `*_listen` setting (`KONG_ADMIN_LISTEN` etc.): `address:port [flags]`. */
export interface ListenEntry {
  address: string;
  port: number;
  flags: string[];
}

/**
 * Parses a Kong listen setting as Kong does: `off`, or comma-separated `address:port [flag...]`
 * entries, IPv6 addresses in brackets. Throws on an entry Kong would not accept.
 */
export function parseListen(value: string): ListenEntry[] | "off" {
  if (value.trim() === "off") return "off";
  return value.split(",").map((raw) => {
    const [where, ...flags] = raw.trim().split(/\s+/);
    const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(where ?? "");
    if (!m || Number(m[2]) > 65535) {
      throw new Error(`listen entry ${JSON.stringify(raw.trim())} is not address:port (e.g. 127.0.0.1:8001 or [::1]:8001)`);
    }
    return { address: m[1], port: Number(m[2]), flags };
  });
}

export function isLoopback(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "[::1]" || address === "::1" || address === "localhost";
}

/** The `KONG_ADMIN_LISTEN` value for an overlay's `admin` (IPv6 in brackets, as Kong wants it). */
export function adminListenValue(admin: AdminListen): string {
  const address = admin.address.includes(":") && !admin.address.startsWith("[") ? `[${admin.address}]` : admin.address;
  return `${address}:${admin.port}`;
}

/**
 * Why a listen setting of a control surface (the Admin API, Kong Manager) is unsafe, or undefined
 * when it is off or on loopback only. Such a surface is reachable by every workload that can reach
 * the pod's or container's address; in DB-less mode `POST /config` there replaces every route and
 * plugin, jwt included. Unset is unsafe too: Kong's default for Kong Manager is 0.0.0.0:8002.
 */
export function controlListenProblem(setting: string, value: string | undefined): string | undefined {
  if (value === undefined) return `${setting} is not set, so Kong's default applies; set it to a loopback address (127.0.0.1:<port>) or off`;
  let entries: ListenEntry[] | "off";
  try {
    entries = parseListen(value);
  } catch (e) {
    return `${setting}: ${(e as Error).message}`;
  }
  if (entries === "off") return undefined;
  const open = entries.filter((e) => !isLoopback(e.address)).map((e) => `${e.address}:${e.port}`);
  if (open.length === 0) return undefined;
  return `${setting} is ${JSON.stringify(value)}: ${open.join(", ")} is reachable from other workloads; ` +
    `listen on loopback only (127.0.0.1:<port>, reached with kubectl port-forward or docker exec) or off`;
}
