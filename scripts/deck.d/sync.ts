import { RenderedKong, renderKongConfig } from "../../components/kong/render";
import { adminAccessHint, checkConfig, deckBinary, kongAddr, log, probeGateway, reportChecked, runDeck, UsageError, withTempFile } from "./common";

export interface SyncArgs {
  env: string;
  kongAddr?: string;
}

/**
 * Why `sync` must not touch this environment's gateway, or undefined when it may. A DB-less
 * gateway runs the file `pulumi up` delivered; posting another to its Admin API's /config would
 * drift from the stack's state, be lost at the next restart, reach one replica of several, and
 * needs exactly the Admin API access that KONG_ADMIN_LISTEN keeps on the gateway's loopback.
 */
export function syncRefusal(r: Pick<RenderedKong, "stack" | "mode" | "overlay" | "target" | "admin">): string | undefined {
  if (r.mode === "db") return undefined;
  return (
    `sync ${r.stack}: kong/overlays/${r.overlay}.yaml runs Kong DB-less, so the running config is the file \`pulumi up\` delivered ` +
    `(${r.target === "kubernetes" ? "a Secret, with a checksum that rolls every replica" : "a file in the container"}). ` +
    `Fix: apply with \`scripts/stack up ${r.stack}\`; see the change first with \`scripts/stack preview ${r.stack}\` or \`scripts/deck diff ${r.stack} --ref HEAD\`. ` +
    `To look at the running gateway: ${adminAccessHint(r)}.`
  );
}

/** Applies the environment's rendering to a running gateway in database mode with `deck gateway sync`. */
export async function sync(args: SyncArgs): Promise<number> {
  const review = renderKongConfig(args.env, { lint: false });
  const refusal = syncRefusal(review);
  if (refusal) throw new UsageError(refusal);
  const addr = kongAddr(args.kongAddr, review.admin.port);
  const gateway = await probeGateway(addr);
  if ("error" in gateway) {
    throw new UsageError(`sync ${args.env}: refusing: ${gateway.error}; ${adminAccessHint(review)}, then pass --kong-addr http://127.0.0.1:<port>.`);
  }
  if (gateway.database === "off") {
    throw new UsageError(
      `sync ${args.env}: refusing: kong/overlays/${review.overlay}.yaml says mode db, but the gateway at ${addr} runs without a database. Fix: point --kong-addr at the ${args.env} gateway.`,
    );
  }
  const checked = checkConfig(args.env, review.config, review.reviewYaml, { replicas: review.replicas, mode: review.mode, adminListen: review.adminListen }, review.secretVariables);
  if (!reportChecked(args.env, checked)) throw new UsageError(`sync ${args.env}: refusing to apply a config that does not validate`);
  const missing = review.secretVariables.filter((v) => (process.env[v] ?? "") === "");
  if (missing.length > 0) throw new UsageError(`sync ${args.env}: credentials not set: ${missing.join(", ")}; export them from the secret store`);
  // decK substitutes the DECK_ variables itself and masks their values in what it prints.
  const r = withTempFile("kong.yaml", review.reviewYaml, (file) => runDeck(deckBinary() as string, ["gateway", "sync", "--kong-addr", addr, file]));
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  if (r.status !== 0) throw new UsageError(`sync ${args.env}: deck gateway sync failed (exit ${r.status})`);
  log(`sync ${args.env}: applied to the gateway at ${addr} (Kong ${gateway.version}, database=${gateway.database})`);
  return 0;
}
