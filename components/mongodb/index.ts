export * from "./mongodb";
