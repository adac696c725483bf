export * from "./broker";
export * from "./clients";
export * from "./container";
export * from "./endpoint";
export * from "./external";
export * from "./factory";
export * from "./topics";
export * from "./strimzi";
