/**
 * The shapes the Kong code passes around: the declarative config as decK and DB-less Kong read it,
 * and an environment's overlay. Types only, so lint, render and the overlay parser share them
 * without importing each other.
 */

/** The declarative config (`_format_version: "3.0"`). */
export interface KongConfig {
  _format_version: "3.0";
  services: KongService[];
  consumers?: KongConsumer[];
  plugins?: KongPlugin[];
}
export interface KongService {
  name: string;
  url?: string;
  routes?: KongRoute[];
  plugins?: KongPlugin[];
  tags?: string[];
  [field: string]: unknown;
}
export interface KongRoute {
  name: string;
  paths?: string[];
  methods?: string[];
  hosts?: string[];
  tags?: string[];
  plugins?: KongPlugin[];
  [field: string]: unknown;
}
export interface KongPlugin {
  name: string;
  config?: Record<string, unknown>;
  /** Only on top-level plugins: the service or route (by name) they are scoped to. */
  service?: string;
  route?: string;
  consumer?: string;
  enabled?: boolean;
  tags?: string[];
  [field: string]: unknown;
}
export interface KongConsumer {
  username: string;
  tags?: string[];
  acls?: { group: string }[];
  jwt_secrets?: { key: string; algorithm: string; secret: string; rsa_public_key?: string }[];
}

export type KongMode = "dbless" | "db";

/** Where the Admin API listens inside the gateway's container or pod. */
export interface AdminListen {
  address: string;
  port: number;
}

/** An environment's overlay (kong/overlays/<name>.yaml); every key is documented in kong/README.md. */
export interface Overlay {
  mode: KongMode;
  target: "docker" | "kubernetes";
  replicas: number;
  admin: AdminListen;
  hosts?: string[];
  services: Record<string, { url: string }>;
  rate_limiting: {
    policy: "local" | "redis" | "cluster";
    limits?: Record<string, number>;
    fault_tolerant?: boolean;
    redis?: Record<string, string | number | boolean>;
  };
  cors: { origins: string[] };
  jwt?: { maximum_expiration?: number };
  consumers?: { username: string; groups?: string[]; jwt?: { key: string; algorithm: string } }[];
}

/** The names in the base that every overlay must and may refer to. */
export interface BaseFacts {
  services: string[];
  rateLimited: string[];
}
