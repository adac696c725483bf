import { main } from "./program";

// The entry `pulumi up` runs from Pulumi.yaml; scripts/stack runs the same main() inline.
const outputs = main();

export const kongProxyUrl = outputs.kongProxyUrl;
export const connectUrl = outputs.connectUrl;
export const postgresUrl = outputs.postgresUrl;
export const mongodbUrl = outputs.mongodbUrl;
export const workerConfig = outputs.workerConfig;
export const namespace = outputs.namespace;
