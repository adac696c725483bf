export * from "./render";
export * from "./lint";
export * from "./gateway";
