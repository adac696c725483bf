export * from "./cdc-source";
export * from "./server";
