export * from "./deploy";
export * from "./docker";
export * from "./kubernetes";
export * from "./service";
export * from "./target";
export * from "./generated-secret";
