/**
 * The data plane's Kafka ACLs, from the one description in components/kafka/acls.ts: prints one
 * line per kafka-acls invocation, arguments separated by tabs (kafka.sh applies them).
 *
 * The data plane is shared by every test, each with its own topic prefix and group, so the rules
 * are in prefix scope over the prefixes tests and the local stack use (test/support/pipeline.ts:
 * `it<id>`, groups `coexist-sync-it-<id>`; scripts/stack.d/local.ts: `coexist_<suffix>`; the
 * engine tests: `provider<run>`, `review<run>`).
 *
 * argv: connectUser workerUser connectGroup internalTopics(configs,offsets,status)
 */
import { kafkaAccess, kafkaAclsArgs } from "../../components/kafka/acls";

export const DATAPLANE_PREFIXES: ReadonlyArray<{ topicPrefix: string; workerGroup: string }> = [
  { topicPrefix: "it", workerGroup: "coexist-sync-it-" },
  { topicPrefix: "coexist_", workerGroup: "coexist_" },
  { topicPrefix: "provider", workerGroup: "provider" },
  { topicPrefix: "review", workerGroup: "review" },
];

function main(argv: string[]): void {
  const [connectUser, workerUser, connectGroup, internal] = argv;
  const [configs, offsets, status] = (internal ?? "").split(",");
  if (!connectUser || !workerUser || !connectGroup || !configs || !offsets || !status) {
    throw new Error("usage: kafka-acls.ts <connect user> <worker user> <connect group> <configs,offsets,status topics>");
  }
  const lines = new Set<string>();
  for (const p of DATAPLANE_PREFIXES) {
    const access = kafkaAccess({
      topicPrefix: p.topicPrefix,
      captures: [],
      scope: "prefix",
      connectCreatesInternalTopics: true,
      // The bench's MongoDB sink connector (COEXIST_DATAPLANE_MONGO_SINK=1, as for `up`).
      connectRunsSinks: process.env.COEXIST_DATAPLANE_MONGO_SINK === "1",
      connect: { user: connectUser, group: connectGroup, internalTopics: { configs, offsets, status } },
      worker: { user: workerUser, group: p.workerGroup },
    });
    for (const principal of [access.connect, access.worker]) {
      for (const args of kafkaAclsArgs(principal)) lines.add(args.join("\t"));
    }
  }
  process.stdout.write([...lines].join("\n") + "\n");
}

main(process.argv.slice(2));
