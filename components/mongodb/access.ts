import * as pulumi from "@pulumi/pulumi";
import { ServiceSpec } from "../runtime";

/**
 * How a workload reaches the read model: a connection string it gets as a secret env value, or one
 * an operator wrote into a Kubernetes Secret (it then never passes through Pulumi).
 */
export type MongoAccess =
  | { readonly kind: "url"; readonly url: pulumi.Output<string> }
  | { readonly kind: "secretRef"; readonly secret: string; readonly key: string };

/** The env entries that hand a MongoAccess to a ServiceSpec as MONGODB_URL. */
export function mongoEnv(access: MongoAccess): Pick<ServiceSpec, "secretEnv" | "secretRefEnv"> {
  return access.kind === "url" ? { secretEnv: { MONGODB_URL: access.url } } : { secretRefEnv: { MONGODB_URL: { secret: access.secret, key: access.key } } };
}
