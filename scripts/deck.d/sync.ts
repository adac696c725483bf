import { renderKongConfig } from "../../components/kong/render";
import { checkConfig, deckBinary, kongAddr, log, probeGateway, reportChecked, runDeck, UsageError, withTempFile } from "./common";

export interface SyncArgs {
  env: string;
  kongAddr?: string;
}

/**
 * Applies the environment's rendering to a running gateway: `deck gateway sync` in database
 * mode; in DB-less mode decK cannot sync, so the rendered file is posted to the Admin API's
 * /config (what Kong would load at start).
 */
export async function sync(args: SyncArgs): Promise<number> {
  const review = renderKongConfig(args.env, { lint: false });
  if (review.mode === "dbless" && review.replicas > 1) {
    throw new UsageError(
      `sync ${args.env}: ${review.replicas} DB-less replicas each hold their own copy of the config, and POST /config through a port-forward ` +
        `reaches one pod only, leaving the others on the old routes. Fix: apply with \`pulumi up\` on the ${args.env} stack, which rolls every replica.`,
    );
  }
  const addr = kongAddr(args.kongAddr, review.admin.port);
  const gateway = await probeGateway(addr);
  if ("error" in gateway) {
    throw new UsageError(`sync ${args.env}: refusing: ${gateway.error}. Fix: start the stack (scripts/stack up ${args.env}) or pass --kong-addr http://127.0.0.1:<admin port>.`);
  }
  const running = gateway.database === "off" ? "dbless" : "db";
  if (running !== review.mode) {
    throw new UsageError(
      `sync ${args.env}: refusing: kong/overlays/${review.overlay}.yaml says mode ${review.mode}, but the gateway at ${addr} runs ` +
        `${running === "dbless" ? "without a database" : `with database=${gateway.database}`}. Fix: point --kong-addr at the ${args.env} gateway.`,
    );
  }
  const checked = checkConfig(args.env, review.config, review.reviewYaml, { replicas: review.replicas, mode: review.mode, admin: review.admin }, review.secretVariables);
  if (!reportChecked(args.env, checked)) throw new UsageError(`sync ${args.env}: refusing to apply a config that does not validate`);

  if (review.mode === "db") {
    const missing = review.secretVariables.filter((v) => (process.env[v] ?? "") === "");
    if (missing.length > 0) throw new UsageError(`sync ${args.env}: credentials not set: ${missing.join(", ")}; export them from the secret store`);
    const r = withTempFile("kong.yaml", review.reviewYaml, (file) => runDeck(deckBinary() as string, ["gateway", "sync", "--kong-addr", addr, file]));
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    if (r.status !== 0) throw new UsageError(`sync ${args.env}: deck gateway sync failed (exit ${r.status})`);
    return 0;
  }
  const rendered = renderKongConfig(args.env, { resolveSecrets: true });
  // check_hash: Kong skips the reload (304) when the config is unchanged.
  const res = await fetch(`${addr}/config?check_hash=1`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ config: rendered.yaml }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = await res.text();
  if (res.status === 304) log(`sync ${args.env}: the gateway at ${addr} already runs this config`);
  else if (res.ok) log(`sync ${args.env}: loaded into the gateway at ${addr} (Kong ${gateway.version}, HTTP ${res.status})`);
  else throw new UsageError(`sync ${args.env}: the gateway at ${addr} refused the config (HTTP ${res.status}): ${body.slice(0, 2000)}`);
  return 0;
}
