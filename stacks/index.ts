import { main } from "./program";

const outputs = main();

export const kongProxyUrl = outputs.kongProxyUrl;
export const connectUrl = outputs.connectUrl;
export const postgresUrl = outputs.postgresUrl;
export const mongodbUrl = outputs.mongodbUrl;
