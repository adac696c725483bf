/**
 * Each stack's own secrets: staging's key cannot open prod's. A stack's secrets are encrypted
 * either by a cloud KMS key (`awskms://`, `gcpkms://`, `azurekeyvault://`, `hashivault://`) or by a
 * passphrase of its own. Where both come from:
 *
 * - the secrets provider: `COEXIST_SECRETS_PROVIDER_<STACK>` (used when the stack is created), else
 *   the `secretsprovider:` the stack file already holds (what `pulumi stack init
 *   --secrets-provider` writes); validated before anything runs.
 * - the passphrase: `PULUMI_CONFIG_PASSPHRASE_<STACK>` (or `..._FILE`), mapped to
 *   PULUMI_CONFIG_PASSPHRASE for that one stack only. pr-<n> stacks share `_PR` (their secrets are
 *   generated throwaways). The shared PULUMI_CONFIG_PASSPHRASE is accepted for dev, local and
 *   pr-<n> only: staging and prod refuse it.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROTECTED } from "./workspace";

export const KMS_SCHEMES = ["awskms", "gcpkms", "azurekeyvault", "hashivault"] as const;

/** The suffix of a stack's variables: STAGING, PROD, DEV, LOCAL, and PR for every pr-<n>. */
export function stackSuffix(stack: string): string {
  return stack.startsWith("pr-") ? "PR" : stack.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}
export const passphraseVariable = (stack: string): string => `PULUMI_CONFIG_PASSPHRASE_${stackSuffix(stack)}`;
export const secretsProviderVariable = (stack: string): string => `COEXIST_SECRETS_PROVIDER_${stackSuffix(stack)}`;

const EXAMPLES: Record<(typeof KMS_SCHEMES)[number], string> = {
  awskms: "awskms://alias/coexist-prod?region=eu-west-1 (or awskms:///arn:aws:kms:<region>:<account>:key/<id>)",
  gcpkms: "gcpkms://projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>",
  azurekeyvault: "azurekeyvault://<vault>.vault.azure.net/keys/<key>",
  hashivault: "hashivault://<transit key name>",
};

/**
 * Checks a secrets provider URL the way the CLI will read it, so a typo fails here, naming `key`
 * and the fix, instead of halfway through an update. Returns the URL unchanged.
 */
export function checkSecretsProvider(url: string, key: string): string {
  const fail = (why: string, scheme?: (typeof KMS_SCHEMES)[number]): never => {
    const fix = scheme ? `write it as ${EXAMPLES[scheme]}` : `use "passphrase" or one of ${KMS_SCHEMES.map((s) => `${s}://`).join(", ")}, e.g. ${EXAMPLES.awskms}`;
    throw new Error(`${key}: "${url}" is not a usable secrets provider: ${why}; fix: ${fix}`);
  };
  if (url === "passphrase") return url;
  const m = /^([a-z]+):\/\/(.*)$/.exec(url);
  if (!m) return fail("it is not a URL");
  const scheme = m[1] as (typeof KMS_SCHEMES)[number];
  if (!KMS_SCHEMES.includes(scheme)) return fail(`the scheme "${m[1]}://" is not a KMS provider coexist supports`);
  if (/\s/.test(url)) return fail("it contains whitespace", scheme);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail("it does not parse as a URL", scheme);
  }
  const where = `${parsed.host}${parsed.pathname}`.replace(/^\/+/, "");
  switch (scheme) {
    case "awskms":
      if (!where) fail("it names no key", scheme);
      if (where.startsWith("arn:") && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/.test(where)) fail("the key ARN is malformed", scheme);
      break;
    case "gcpkms":
      if (!/^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/.test(where)) fail("the key path is not projects/…/locations/…/keyRings/…/cryptoKeys/…", scheme);
      break;
    case "azurekeyvault":
      if (!/\.vault\.(azure\.net|azure\.cn|usgovcloudapi\.net)$/.test(parsed.host)) fail(`"${parsed.host}" is not a Key Vault host (<vault>.vault.azure.net)`, scheme);
      if (!/^\/keys\/[^/]+(\/[^/]+)?$/.test(parsed.pathname)) fail("the path is not /keys/<key>[/<version>]", scheme);
      break;
    case "hashivault":
      if (!/^[A-Za-z0-9_.-]+$/.test(parsed.host) || parsed.pathname.replace(/^\//, "") !== "") fail("it names no transit key, or more than one path segment", scheme);
      break;
  }
  return url;
}

export interface StackSecrets {
  /** Passed to stack creation (`--secrets-provider`); undefined: the passphrase. */
  readonly secretsProvider?: string;
  /** The CLI's environment for this stack: its passphrase as PULUMI_CONFIG_PASSPHRASE, or none. */
  readonly env: Record<string, string>;
  /** What was chosen, for the log: never the passphrase itself. */
  readonly source: string;
}

/** The `secretsprovider:` a stack file holds, if any. */
export function stackFileProvider(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  const doc = parse(fs.readFileSync(file, "utf8")) as { secretsprovider?: unknown } | null;
  return typeof doc?.secretsprovider === "string" ? doc.secretsprovider : undefined;
}

/**
 * The secrets provider and passphrase env for one stack. `generate`: where a passphrase is made and
 * kept (mode 0600) when the user has none and the state is a local file backend; staging and prod
 * get a file of their own.
 */
export function stackSecrets(
  stack: string,
  opts: { env?: NodeJS.ProcessEnv; stackFile?: string; generate?: { stateDir: string } } = {},
): StackSecrets {
  const env = opts.env ?? process.env;
  const providerKey = secretsProviderVariable(stack);
  const fromEnv = env[providerKey];
  const fromFile = opts.stackFile ? stackFileProvider(opts.stackFile) : undefined;
  const provider = fromEnv ? checkSecretsProvider(fromEnv, providerKey) : fromFile ? checkSecretsProvider(fromFile, `secretsprovider in ${path.basename(opts.stackFile!)}`) : undefined;
  if (fromEnv && fromFile && fromEnv !== fromFile) {
    throw new Error(`${providerKey}=${fromEnv} but ${path.basename(opts.stackFile!)} is encrypted with ${fromFile}; fix: unset ${providerKey}, or change the stack's provider with \`pulumi stack change-secrets-provider\``);
  }
  if (provider && provider !== "passphrase") {
    // The KMS key decrypts; a passphrase inherited from the environment must not be mistaken for it.
    return { secretsProvider: provider, env: { PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "" }, source: `${provider.split("://")[0]} key` };
  }
  const variable = passphraseVariable(stack);
  // An empty value is unset: GitHub expands a secret the environment does not hold to "".
  const own = env[variable] || (env[`${variable}_FILE`] ? fs.readFileSync(env[`${variable}_FILE`]!, "utf8").trim() : undefined);
  const chosen = provider ? { secretsProvider: provider } : {};
  if (own) return { ...chosen, env: { PULUMI_CONFIG_PASSPHRASE: own, PULUMI_CONFIG_PASSPHRASE_FILE: "" }, source: variable };
  const shared = env.PULUMI_CONFIG_PASSPHRASE || env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (PROTECTED.has(stack)) {
    if (shared || !opts.generate) {
      throw new Error(
        `${stack} needs secrets of its own: ${shared ? "the shared PULUMI_CONFIG_PASSPHRASE would open every stack's secrets" : "no passphrase or KMS key is set"}; ` +
          `fix: set ${variable} (a passphrase used for ${stack} only) or ${providerKey} (e.g. ${EXAMPLES.awskms})`,
      );
    }
  } else if (shared) {
    return { ...chosen, env: {}, source: "PULUMI_CONFIG_PASSPHRASE" };
  }
  if (!opts.generate) throw new Error(`${stack} has no passphrase; fix: set ${variable}`);
  const file = path.join(opts.generate.stateDir, PROTECTED.has(stack) ? `passphrase.${stack}` : "passphrase");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(opts.generate.stateDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, randomBytes(32).toString("base64"), { mode: 0o600 });
  }
  return { ...chosen, env: { PULUMI_CONFIG_PASSPHRASE: fs.readFileSync(file, "utf8").trim(), PULUMI_CONFIG_PASSPHRASE_FILE: "" }, source: path.basename(file) };
}
