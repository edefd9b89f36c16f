import { join } from "node:path";
import { isRoot, runCommand } from "../run_command.ts";
import type { PostgresInstallation } from "./install.ts";

/** Settings of a throwaway cluster; the stack passes the port at every start. */
const SERVER_SETTINGS: Record<string, string> = {
  listen_addresses: "'127.0.0.1'",
  unix_socket_directories: "''",
  shared_preload_libraries: "'pg_cron'",
  "cron.database_name": "'postgres'",
  "cron.use_background_workers": "on",
  max_worker_processes: "32",
  max_connections: "300",
  timezone: "'UTC'",
  // A throwaway cluster: durability buys nothing here.
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  logging_collector: "off",
};

/**
 * Settings passed at every start (so clusters made before they existed get them too):
 * the Realtime emulation reads committed broadcasts by logical replication, as
 * supabase/realtime `lib/realtime/tenants/replication_connection.ex` does; a WAL
 * sender only sends flushed WAL, so commits flush at once (`synchronous_commit`
 * on; with `fsync` off that costs a write, not a disk sync) instead of waiting for
 * the WAL writer (up to 200 ms): the `realtime-latency` benchmark went from
 * p50 9.7 ms (10 ms writer delay) to 0.65 ms.
 */
const START_SETTINGS = ["-c wal_level=logical", "-c synchronous_commit=on"];

/** The password of `postgres` and `supabase_admin` in every local cluster, as with `supabase start`. */
export const LOCAL_DB_PASSWORD = "postgres";

/**
 * The bootstrap superuser (initdb's user), as on Supabase: only the platform
 * (the stack's bootstrap, pg_net worker, Realtime and Auth emulations) logs in
 * as it. Projects use `postgres`, which is not a superuser.
 */
export const BOOTSTRAP_SUPERUSER = "supabase_admin";

/** A PostgreSQL cluster in a folder of its own, served on 127.0.0.1. */
export class PostgresCluster {
  readonly dataDir: string;
  readonly logFile: string;

  constructor(
    readonly pg: PostgresInstallation,
    readonly rootDir: string,
    readonly port: number,
  ) {
    this.dataDir = join(rootDir, "pgdata");
    this.logFile = join(rootDir, "postgres.log");
  }

  /** Connection URL for a database user (`postgres`, NOSUPERUSER BYPASSRLS as on Supabase, by default). */
  url(user = "postgres", password = LOCAL_DB_PASSWORD): string {
    return `postgresql://${user}:${password}@127.0.0.1:${this.port}/postgres`;
  }

  /** Connection URL of the bootstrap superuser, for the platform's own work only. */
  adminUrl(): string {
    return this.url(BOOTSTRAP_SUPERUSER);
  }

  /** True once `initdb` has run in this folder. */
  isInitialized(): boolean {
    try {
      Deno.statSync(join(this.dataDir, "PG_VERSION"));
      return true;
    } catch {
      return false;
    }
  }

  /** Runs `initdb` (as the `postgres` OS user when we are root) and writes the stack's settings. */
  async initialize(): Promise<void> {
    Deno.mkdirSync(this.rootDir, { recursive: true });
    const passwordFile = join(this.rootDir, "pwfile");
    Deno.writeTextFileSync(passwordFile, LOCAL_DB_PASSWORD + "\n");
    await this.chownForServer(this.rootDir);
    await this.asServerUser(join(this.pg.binDir, "initdb"), [
      "-D",
      this.dataDir,
      `--username=${BOOTSTRAP_SUPERUSER}`,
      `--pwfile=${passwordFile}`,
      "--auth-host=scram-sha-256",
      "--auth-local=trust",
      "--encoding=UTF8",
      "--locale=C.UTF-8",
    ]);
    Deno.removeSync(passwordFile);
    const settings = Object.entries(SERVER_SETTINGS).map(([key, value]) => `${key} = ${value}`);
    const conf = join(this.dataDir, "postgresql.conf");
    Deno.writeTextFileSync(conf, `\n# Nightshift local stack\n${settings.join("\n")}\n`, {
      append: true,
    });
  }

  /** Starts the server and waits until it accepts connections; stops a leftover server first. */
  async start(): Promise<void> {
    if (await this.isRunning()) await this.stop();
    await this.chownForServer(this.rootDir);
    await this.asServerUser(join(this.pg.binDir, "pg_ctl"), [
      "start",
      "-D",
      this.dataDir,
      "-l",
      this.logFile,
      "-w",
      "-t",
      "60",
      "-o",
      [`-p ${this.port}`, ...START_SETTINGS].join(" "),
    ]);
  }

  /** Stops the server (fast shutdown) if it runs. */
  async stop(): Promise<void> {
    if (!(await this.isRunning())) return;
    await this.asServerUser(join(this.pg.binDir, "pg_ctl"), [
      "stop",
      "-D",
      this.dataDir,
      "-m",
      "fast",
      "-w",
      "-t",
      "60",
    ]);
  }

  /** True when a server runs on this data folder. */
  async isRunning(): Promise<boolean> {
    if (!this.isInitialized()) return false;
    try {
      await this.asServerUser(join(this.pg.binDir, "pg_ctl"), ["status", "-D", this.dataDir]);
      return true;
    } catch {
      return false;
    }
  }

  /** Deletes the cluster's folder; the server must be stopped. */
  async destroy(): Promise<void> {
    await this.stop();
    Deno.removeSync(this.rootDir, { recursive: true });
  }

  private async asServerUser(program: string, args: string[]): Promise<string> {
    if (isRoot()) return await runCommand("runuser", ["-u", "postgres", "--", program, ...args]);
    return await runCommand(program, args);
  }

  private async chownForServer(path: string): Promise<void> {
    if (isRoot()) await runCommand("chown", ["-R", "postgres:postgres", path]);
  }
}
