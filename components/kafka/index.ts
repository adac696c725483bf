export * from "./broker";
export * from "./topics";
