import { generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { renderKongConfig } from "../components/kong/render";

/**
 * Generates throwaway gateway credentials for a dev, local or pr-<n> stack: a random secret per HS256
 * credential, an RSA key pair per RS256 one (the private key is written next to the state so a
 * developer can mint test tokens; only the public key goes to the stack). Prints the JSON for
 * `pulumi config set --secret coexist:kongCredentials` on stdout.
 */
export function generateKongCredentials(names: readonly string[], privateKeyDir?: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    if (/RSA_PUBLIC_KEY$/.test(name)) {
      const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      out[name] = publicKey.export({ type: "spki", format: "pem" }).toString();
      if (privateKeyDir) {
        fs.mkdirSync(privateKeyDir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(path.join(privateKeyDir, `${name.replace(/_PUBLIC_KEY$/, "_PRIVATE_KEY")}.pem`), privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { mode: 0o600 });
      }
    } else {
      out[name] = randomBytes(32).toString("base64url");
    }
  }
  return out;
}

/** Stacks whose gateway credentials may be generated: disposable ones, never staging or prod. */
export function isDisposableStack(stack: string): boolean {
  return /^(dev|local|pr-[1-9][0-9]*)$/.test(stack);
}

if (require.main === module) {
  const stack = process.argv[2];
  if (!stack || !isDisposableStack(stack)) {
    process.stderr.write(`usage: kong-credentials.ts <dev|local|pr-n>, got ${JSON.stringify(stack ?? "")}; staging and prod credentials come from the secret store\n`);
    process.exit(2);
  }
  const names = renderKongConfig(stack).secretVariables;
  const keyDir = path.join(__dirname, "..", ".pulumi-state", "keys", stack);
  process.stdout.write(JSON.stringify(generateKongCredentials(names, keyDir)));
}
