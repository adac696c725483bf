import * as pulumi from "@pulumi/pulumi";
import { ConnectEndpoint } from "./endpoint";
import { restUrlWithUserInfo } from "./rest-auth";

export interface ExternalConnectArgs {
  /** The REST URL, without credentials. */
  readonly url: pulumi.Input<string>;
  /** The config-provider reference that cluster resolves to the Debezium password. */
  readonly passwordRef: string;
  /** The REST API's user, when it requires credentials. @default none */
  readonly user?: string;
  /** `user`'s password (coexist:connectPassword). @default none */
  readonly password?: pulumi.Input<string>;
}

/** An existing Connect REST API, with its credentials as user info (then the URL is a secret). */
export function externalConnect(name: string, args: ExternalConnectArgs): ConnectEndpoint {
  const user = args.user;
  if (user !== undefined && args.password === undefined) throw new Error(`${name}: the REST API's user ${user} needs a password; fix: pulumi config set --secret coexist:connectPassword`);
  const url = user === undefined || args.password === undefined
    ? args.url
    : pulumi.secret(pulumi.all([args.url, args.password]).apply(([u, p]) => restUrlWithUserInfo(u, user, p)));
  return { kind: "rest", url, passwordRef: args.passwordRef, ready: [] };
}
