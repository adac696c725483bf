export * from "./atlas";
export * from "./community";
export * from "./container";
export * from "./endpoint";
export * from "./external";
export * from "./factory";
export * from "./mongodb";
