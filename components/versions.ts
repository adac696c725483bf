import pins from "../versions.json";

/**
 * Image tags and component versions, pinned once in versions.json. The local data plane
 * (scripts/dataplane) reads the same file, so the tests run the Kafka and Debezium the stack deploys.
 */
export const versions = pins;
export const images = pins.images;
