/**
 * Ports the local stack needs, checked before anything starts: a port in use is
 * a {@linkcode CommandError} of one line, not a stack trace with the reason in
 * postgres.log.
 *
 * @module
 */
import { CommandError } from "./command_failure.ts";

/** A port and the config.toml setting it comes from (`api.port`, `db.port`). */
export interface RequiredPort {
  readonly port: number;
  readonly setting: string;
}

/** Throws {@linkcode CommandError} for the first port something on 127.0.0.1 already listens on. */
export function assertPortsFree(ports: readonly RequiredPort[]): void {
  for (const { port, setting } of ports) {
    let listener: Deno.Listener;
    try {
      listener = Deno.listen({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
      throw new CommandError(
        `Port ${port} (${setting} in supabase/config.toml) is already in use: stop what listens ` +
          `there (ss -ltnp 'sport = :${port}' shows it; another ./nightshift dev?) or set ` +
          `another ${setting} in supabase/config.toml`,
      );
    }
    listener.close();
  }
}
