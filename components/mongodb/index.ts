export * from "./atlas";
export * from "./community";
export * from "./mongodb";
