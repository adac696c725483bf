export * from "./broker";
export * from "./topics";
export * from "./strimzi";
