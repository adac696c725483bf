import type { KongConfig } from "./types";
import { mapStrings, walkStrings } from "./values";

/** A decK reference to a credential, as the rendered config holds it. */
export const ENV_REF = /^\$\{\{ env "(DECK_[A-Z0-9_]+)" \}\}$/;
/** A Kong env-vault reference, resolved by Kong from its own environment. */
export const VAULT_ENV_REF = /^\{vault:\/\/env\/([a-z0-9-]+)\}$/;

export function envRef(variable: string): string {
  return `\${{ env "${variable}" }}`;
}

/** The `DECK_*` variables a config references (its consumers' credentials). */
export function collectSecretVariables(config: KongConfig): string[] {
  const names = new Set<string>();
  walkStrings(config, (s) => {
    const m = ENV_REF.exec(s);
    if (m) names.add(m[1]);
  });
  return [...names].sort();
}

/** The environment variables Kong itself must get for the config's `{vault://env/...}` references. */
export function collectVaultVariables(config: KongConfig): string[] {
  const names = new Set<string>();
  walkStrings(config, (s) => {
    const m = VAULT_ENV_REF.exec(s);
    if (m) names.add(m[1].toUpperCase().replace(/-/g, "_"));
  });
  return [...names].sort();
}

/**
 * The config with each decK reference replaced by its value from `env`, as a DB-less gateway
 * needs (it loads the file as is). Fails naming every variable that is missing or not a PEM key;
 * values are never part of a message. `who` names the caller in messages.
 */
export function resolveCredentials(config: KongConfig, env: NodeJS.ProcessEnv, who: string): KongConfig {
  const variables = collectSecretVariables(config);
  const missing = variables.filter((v) => (env[v] ?? "") === "");
  if (missing.length > 0) {
    throw new Error(
      `${who}: the gateway file needs credentials that are not set: ${missing.join(", ")}. ` +
        `Fix: export them from the secret store (kong/README.md, "Credentials"), or render with resolveSecrets: false for review.`,
    );
  }
  for (const v of variables.filter((n) => n.endsWith("_RSA_PUBLIC_KEY"))) {
    if (!/-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----/.test(env[v] ?? "")) {
      throw new Error(`${who}: ${v} is set but is not a PEM public key (-----BEGIN PUBLIC KEY----- ...). Fix: export the issuer's public key in PEM form.`);
    }
  }
  return mapStrings(config, (s) => {
    const m = ENV_REF.exec(s);
    return m ? (env[m[1]] as string) : s;
  }) as KongConfig;
}
