export * from "./config";
export * from "./deployment";
