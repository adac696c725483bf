export * from "./deploy";
export * from "./docker";
export * from "./service";
export * from "./target";
