import type { Sql } from "postgres";
import { USER_COLUMNS, type UserRecord } from "./user_record.ts";

/** A refresh token row joined with its session. */
export interface RefreshTokenRecord {
  readonly id: string;
  readonly token: string;
  readonly user_id: string;
  readonly revoked: boolean;
  readonly updated_at: Date;
  readonly session_id: string | null;
  readonly session_exists: boolean;
  readonly not_after: Date | null;
  readonly session_created_at: Date | null;
}

/** How `/logout` ends sessions (supabase/auth `internal/api/logout.go`). */
export type LogoutScope = "global" | "local" | "others";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A refresh token as GoTrue makes one: `crypto.SecureAlphanumeric(12)` (models/refresh_token.go). */
export function newRefreshToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return [...bytes].map((byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join("");
}

/**
 * GoTrue's storage in auth.users, auth.sessions and auth.refresh_tokens
 * (local-stack/bootstrap/07_auth_sessions.sql), with GoTrue's semantics:
 * bcrypt passwords checked with pgcrypto's `crypt`, one refresh token chain per
 * session (`parent` = the token it replaced).
 */
export class SessionStore {
  constructor(private readonly sql: Sql) {}

  /** The user with this email in audience `aud` (case-insensitive, as `FindUserByEmailAndAudience`). */
  async userByEmail(email: string, aud: string): Promise<UserRecord | undefined> {
    const [user] = await this.sql.unsafe<UserRecord[]>(
      `select ${USER_COLUMNS} from auth.users
        where lower(email) = lower($1) and aud = $2 and deleted_at is null`,
      [email, aud],
    );
    return user;
  }

  /** The user with this id, if not deleted. */
  async userById(id: string): Promise<UserRecord | undefined> {
    const [user] = await this.sql.unsafe<UserRecord[]>(
      `select ${USER_COLUMNS} from auth.users where id = $1 and deleted_at is null`,
      [id],
    );
    return user;
  }

  /** Compares a password with the stored bcrypt hash; false when the user has none. */
  async passwordMatches(userId: string, password: string): Promise<boolean> {
    const [row] = await this.sql<{ matches: boolean | null }[]>`
      select encrypted_password = extensions.crypt(${password}, encrypted_password) as matches
        from auth.users
       where id = ${userId} and coalesce(encrypted_password, '') <> ''`;
    return row?.matches === true;
  }

  /** Starts a session (aal1) with its first refresh token and stamps `last_sign_in_at`. */
  async startSession(userId: string, userAgent: string | null): Promise<{
    sessionId: string;
    refreshToken: string;
    createdAt: Date;
  }> {
    const sessionId = crypto.randomUUID();
    const refreshToken = newRefreshToken();
    const createdAt = await this.sql.begin(async (tx) => {
      const [session] = await tx<{ created_at: Date }[]>`
        insert into auth.sessions (id, user_id, created_at, updated_at, aal, user_agent)
        values (${sessionId}, ${userId}, now(), now(), 'aal1', ${userAgent})
        returning created_at`;
      await tx`
        insert into auth.refresh_tokens
          (instance_id, token, user_id, revoked, created_at, updated_at, session_id)
        values ('00000000-0000-0000-0000-000000000000', ${refreshToken}, ${userId}, false,
                now(), now(), ${sessionId})`;
      await tx`update auth.users set last_sign_in_at = now(), updated_at = now() where id = ${userId}`;
      return session!.created_at;
    });
    return { sessionId, refreshToken, createdAt };
  }

  /** The refresh token row and whether its session still exists. */
  async refreshToken(token: string): Promise<RefreshTokenRecord | undefined> {
    const [row] = await this.sql<RefreshTokenRecord[]>`
      select t.id::text, t.token, t.user_id, coalesce(t.revoked, false) as revoked,
             t.updated_at, t.session_id, s.id is not null as session_exists, s.not_after,
             s.created_at as session_created_at
        from auth.refresh_tokens t
        left join auth.sessions s on s.id = t.session_id
       where t.token = ${token}`;
    return row;
  }

  /** The newest unrevoked token of a session (the "active" one a reused token may fall back to). */
  async activeToken(sessionId: string): Promise<string | undefined> {
    const [row] = await this.sql<{ token: string }[]>`
      select token from auth.refresh_tokens
       where session_id = ${sessionId} and not coalesce(revoked, false)
       order by id desc limit 1`;
    return row?.token;
  }

  /**
   * Revokes `parent` and issues its successor in one transaction; undefined when
   * another request revoked it first (the caller then treats it as reused).
   */
  async rotate(parent: RefreshTokenRecord): Promise<string | undefined> {
    const next = newRefreshToken();
    return await this.sql.begin(async (tx) => {
      const revoked = await tx`
        update auth.refresh_tokens set revoked = true, updated_at = now()
         where id = ${parent.id} and not coalesce(revoked, false)`;
      if (revoked.count !== 1) return undefined;
      await tx`
        insert into auth.refresh_tokens
          (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
        values ('00000000-0000-0000-0000-000000000000', ${next}, ${parent.user_id}, false,
                now(), now(), ${parent.token}, ${parent.session_id})`;
      await tx`
        update auth.sessions set refreshed_at = now() at time zone 'utc', updated_at = now()
         where id = ${parent.session_id}`;
      return next;
    });
  }

  /** Revokes every token of a session (reuse detected outside the reuse interval). */
  async revokeSessionTokens(sessionId: string): Promise<void> {
    await this.sql`
      update auth.refresh_tokens set revoked = true, updated_at = now()
       where session_id = ${sessionId}`;
  }

  /** True when the session exists. */
  async sessionExists(sessionId: string): Promise<boolean> {
    const [row] = await this.sql`select 1 from auth.sessions where id = ${sessionId}`;
    return row !== undefined;
  }

  /** Deletes sessions (their refresh tokens cascade), as `models.Logout*`. */
  async logout(userId: string, sessionId: string | undefined, scope: LogoutScope): Promise<void> {
    if (sessionId && scope === "local") {
      await this.sql`delete from auth.sessions where id = ${sessionId}`;
    } else if (sessionId && scope === "others") {
      await this.sql`delete from auth.sessions where user_id = ${userId} and id <> ${sessionId}`;
    } else {
      await this.sql`delete from auth.sessions where user_id = ${userId}`;
    }
  }
}
