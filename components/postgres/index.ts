export * from "./cdc-grants";
export * from "./cdc-source";
export * from "./cdc-sql";
export * from "./cnpg";
export * from "./server";
export * from "./sql-script";
