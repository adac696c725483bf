import type { Policies } from "@pulumi/policy";
import { atlasAccessListNotOpen } from "./rules/atlas";
import { debeziumRoleNotSuperuser } from "./rules/debezium-role";
import { gatewayRateLimitShared, gatewayRoutesAuthenticated } from "./rules/gateway";
import { noPublicControlPorts } from "./rules/ports";
import { prodKafkaReplication, prodStatefulProtected } from "./rules/prod";
import { publicationNotAllTables } from "./rules/publication";
import { noExampleAddresses } from "./rules/example-addresses";
import { noPlaintextSecrets } from "./rules/secrets";
import { slotWalCapped } from "./rules/wal-keep";

/** Every policy of the pack; index.ts serves them, the tests run them under mocks. */
export const POLICIES: Policies = [
  noPublicControlPorts,
  noPlaintextSecrets,
  debeziumRoleNotSuperuser,
  publicationNotAllTables,
  slotWalCapped,
  prodStatefulProtected,
  atlasAccessListNotOpen,
  prodKafkaReplication,
  gatewayRoutesAuthenticated,
  gatewayRateLimitShared,
  noExampleAddresses,
];
