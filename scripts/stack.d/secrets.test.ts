import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { checkSecretsProvider, passphraseVariable, secretsProviderVariable, stackSecrets } from "./secrets";

const KEY = "COEXIST_SECRETS_PROVIDER_PROD";

describe("per-stack secrets", () => {
  it("accepts the four KMS providers Pulumi users write, and the passphrase", () => {
    for (const url of [
      "passphrase",
      "awskms://alias/coexist-prod?region=eu-west-1",
      "awskms://1234abcd-12ab-34cd-56ef-1234567890ab?region=us-east-1",
      "awskms:///arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "gcpkms://projects/acme/locations/europe-west1/keyRings/coexist/cryptoKeys/prod",
      "azurekeyvault://acme-prod.vault.azure.net/keys/coexist",
      "azurekeyvault://acme-prod.vault.azure.net/keys/coexist/0123abcd",
      "hashivault://coexist-prod",
    ]) assert.equal(checkSecretsProvider(url, KEY), url);
  });

  it("refuses a malformed KMS URL before anything runs, naming the key and the fix", () => {
    const cases: [string, RegExp][] = [
      ["awskms:/alias/x", /not a URL.*fix: use "passphrase" or one of awskms:\/\//],
      ["awskms://", /names no key.*fix: write it as awskms:\/\/alias\//],
      ["awskms:///arn:aws:kms:eu-west-1:12345:key/x", /key ARN is malformed/],
      ["gcpkms://projects/acme/keyRings/coexist/cryptoKeys/prod", /projects\/…\/locations/],
      ["gcpkms://acme/prod", /projects\/…\/locations/],
      ["azurekeyvault://acme-prod.example.com/keys/coexist", /not a Key Vault host/],
      ["azurekeyvault://acme-prod.vault.azure.net/secrets/coexist", /\/keys\/<key>/],
      ["hashivault://", /names no transit key/],
      ["hashivault://a/b", /more than one path segment/],
      ["kms://alias/x", /scheme "kms:\/\/" is not a KMS provider/],
      ["awskms://alias/has space", /contains whitespace/],
    ];
    for (const [url, why] of cases) {
      assert.throws(() => checkSecretsProvider(url, KEY), (e: Error) => {
        assert.match(e.message, new RegExp(`^${KEY}: "${url.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}" is not a usable secrets provider`));
        assert.match(e.message, why);
        assert.match(e.message, /fix: /);
        return true;
      }, url);
    }
  });

  it("names one variable per stack; every pr-<n> shares the PR one", () => {
    assert.equal(passphraseVariable("staging"), "PULUMI_CONFIG_PASSPHRASE_STAGING");
    assert.equal(passphraseVariable("prod"), "PULUMI_CONFIG_PASSPHRASE_PROD");
    assert.equal(passphraseVariable("pr-42"), "PULUMI_CONFIG_PASSPHRASE_PR");
    assert.equal(secretsProviderVariable("prod"), KEY);
  });

  it("maps PULUMI_CONFIG_PASSPHRASE_<STACK> to that stack only; staging never gets prod's", () => {
    const env = { PULUMI_CONFIG_PASSPHRASE_STAGING: "s", PULUMI_CONFIG_PASSPHRASE_PROD: "p" };
    assert.equal(stackSecrets("staging", { env }).env.PULUMI_CONFIG_PASSPHRASE, "s");
    assert.equal(stackSecrets("prod", { env }).env.PULUMI_CONFIG_PASSPHRASE, "p");
    assert.throws(() => stackSecrets("prod", { env: { PULUMI_CONFIG_PASSPHRASE_STAGING: "s" } }), /prod needs secrets of its own: no passphrase or KMS key is set; fix: set PULUMI_CONFIG_PASSPHRASE_PROD/);
  });

  it("refuses the shared PULUMI_CONFIG_PASSPHRASE for staging and prod, accepts it for dev and pr-<n>", () => {
    for (const stack of ["staging", "prod"]) {
      assert.throws(() => stackSecrets(stack, { env: { PULUMI_CONFIG_PASSPHRASE: "shared" } }), /the shared PULUMI_CONFIG_PASSPHRASE would open every stack's secrets/);
      assert.throws(() => stackSecrets(stack, { env: { PULUMI_CONFIG_PASSPHRASE_FILE: "/x" }, generate: { stateDir: "/nonexistent" } }), /shared/);
    }
    assert.equal(stackSecrets("dev", { env: { PULUMI_CONFIG_PASSPHRASE: "shared" } }).source, "PULUMI_CONFIG_PASSPHRASE");
    assert.equal(stackSecrets("pr-7", { env: { PULUMI_CONFIG_PASSPHRASE: "shared", PULUMI_CONFIG_PASSPHRASE_PR: "pr" } }).env.PULUMI_CONFIG_PASSPHRASE, "pr");
  });

  it("uses a KMS provider from the variable or the stack file, and blanks any inherited passphrase", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-secrets-"));
    const kms = "gcpkms://projects/acme/locations/eu/keyRings/r/cryptoKeys/prod";
    const fromEnv = stackSecrets("prod", { env: { [KEY]: kms, PULUMI_CONFIG_PASSPHRASE: "shared" } });
    assert.equal(fromEnv.secretsProvider, kms);
    assert.deepEqual(fromEnv.env, { PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "" });
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, `secretsprovider: ${kms}\nencryptedkey: abc\nconfig: {}\n`);
    assert.equal(stackSecrets("prod", { env: {}, stackFile: file }).secretsProvider, kms);
    fs.writeFileSync(file, "secretsprovider: gcpkms://acme/prod\nconfig: {}\n");
    assert.throws(() => stackSecrets("prod", { env: {}, stackFile: file }), /^Error: secretsprovider in Pulumi\.prod\.yaml: "gcpkms:\/\/acme\/prod" is not a usable/);
    fs.writeFileSync(file, `secretsprovider: ${kms}\nconfig: {}\n`);
    assert.throws(() => stackSecrets("prod", { env: { [KEY]: "hashivault://other" }, stackFile: file }), /is encrypted with gcpkms.*change-secrets-provider/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("generates a passphrase file of its own for staging and prod on the local backend", () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "coexist-secrets-"));
    const staging = stackSecrets("staging", { env: {}, generate: { stateDir } });
    const prod = stackSecrets("prod", { env: {}, generate: { stateDir } });
    const dev = stackSecrets("dev", { env: {}, generate: { stateDir } });
    assert.deepEqual([staging.source, prod.source, dev.source], ["passphrase.staging", "passphrase.prod", "passphrase"]);
    assert.equal(new Set([staging, prod, dev].map((s) => s.env.PULUMI_CONFIG_PASSPHRASE)).size, 3);
    assert.equal(fs.statSync(path.join(stateDir, "passphrase.prod")).mode & 0o777, 0o600);
    fs.rmSync(stateDir, { recursive: true, force: true });
  });
});
