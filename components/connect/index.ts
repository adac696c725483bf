export * from "./connect";
export * from "./connector";
export * from "./connector-config";
export * from "./connector-diff";
export * from "./rest-auth";
export * from "./strimzi";
