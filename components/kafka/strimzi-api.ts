/** The Strimzi API group and version every Strimzi resource of the stack uses (Strimzi 1.x serves v1 only). */
export const STRIMZI_API = "kafka.strimzi.io/v1";
