import * as pulumi from "@pulumi/pulumi";

/**
 * Idempotent SQL run from where Pulumi runs, as a resource: `up` runs on create and whenever it
 * changes, `down` (if any) on delete. For the objects the postgresql provider cannot declare
 * (the heartbeat table). Runs on a real PostgreSQL in the test suite (dynamic providers run here).
 */

interface SqlScriptInputs {
  /** libpq URL; a secret. */
  readonly connection: string;
  readonly up: string;
  /** Run on delete. @default none: the objects stay */
  readonly down?: string;
}

/** Statement timeout for every script: a lock held by someone else fails the run instead of hanging `up`. */
export const SQL_SCRIPT_TIMEOUT_MS = 60_000;

export const sqlScriptProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: SqlScriptInputs, news: SqlScriptInputs): Promise<pulumi.dynamic.DiffResult> {
    return { changes: olds.up !== news.up || olds.down !== news.down || olds.connection !== news.connection };
  },
  async create(inputs: SqlScriptInputs): Promise<pulumi.dynamic.CreateResult> {
    await runSql(inputs.connection, inputs.up);
    return { id: `sql-${Date.now().toString(36)}`, outs: inputs };
  },
  async update(_id: string, _olds: SqlScriptInputs, news: SqlScriptInputs): Promise<pulumi.dynamic.UpdateResult> {
    await runSql(news.connection, news.up);
    return { outs: news };
  },
  async delete(_id: string, props: SqlScriptInputs): Promise<void> {
    if (props.down) await runSql(props.connection, props.down);
  },
};

async function runSql(connection: string, sql: string): Promise<void> {
  // Required here, not at the top: the provider is serialised and runs in the dynamic-provider host.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client } = require("pg") as typeof import("pg");
  const client = new Client({ connectionString: connection, statement_timeout: SQL_SCRIPT_TIMEOUT_MS, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    await client.query(sql);
  } catch (e) {
    const where = connection.replace(/\/\/[^@/]*@/, "//");
    throw new Error(`SQL on ${where} failed: ${(e as Error).message}\n--- script ---\n${sql}`);
  } finally {
    await client.end();
  }
}

export interface SqlScriptArgs {
  readonly connection: pulumi.Input<string>;
  readonly up: pulumi.Input<string>;
  /** Run on delete. @default none: the objects stay */
  readonly down?: pulumi.Input<string>;
}

/** The dynamic resource: type `pulumi-nodejs:dynamic/coexist:SqlScript`. */
export class SqlScript extends pulumi.dynamic.Resource {
  constructor(name: string, args: SqlScriptArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(sqlScriptProvider, name, { connection: pulumi.secret(args.connection), up: args.up, down: args.down }, opts, "coexist", "SqlScript");
  }
}

/** A libpq URL from its parts, the password URL-encoded. */
export function postgresUrl(c: { host: pulumi.Input<string>; port: pulumi.Input<number>; user: string; password: pulumi.Input<string>; database: string; sslmode?: string }): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`postgresql://${encodeURIComponent(c.user)}:${pulumi.output(c.password).apply(encodeURIComponent)}@${c.host}:${c.port}/${c.database}?sslmode=${c.sslmode ?? "disable"}`,
  );
}
