/** A row of auth.users as the local GoTrue reads it. */
export interface UserRecord {
  readonly id: string;
  readonly aud: string | null;
  readonly role: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly email_confirmed_at: Date | null;
  readonly last_sign_in_at: Date | null;
  readonly raw_app_meta_data: Record<string, unknown> | null;
  readonly raw_user_meta_data: Record<string, unknown> | null;
  readonly is_anonymous: boolean;
  readonly created_at: Date | null;
  readonly updated_at: Date | null;
  readonly banned_until: Date | null;
}

/** The columns of `UserRecord`, for `select`. */
export const USER_COLUMNS = [
  "id",
  "aud",
  "role",
  "email",
  "null::text as phone",
  "email_confirmed_at",
  "last_sign_in_at",
  "raw_app_meta_data",
  "raw_user_meta_data",
  "is_anonymous",
  "created_at",
  "updated_at",
  "banned_until",
].join(", ");

/** True while `banned_until` lies in the future (supabase/auth `models.User.IsBanned`). */
export function isBanned(user: UserRecord, now = new Date()): boolean {
  return user.banned_until !== null && user.banned_until > now;
}

/**
 * The user as GoTrue serializes it (supabase/auth `internal/models/user.go`, the
 * `json` tags): omitempty fields left out when empty.
 */
export function userJson(user: UserRecord): Record<string, unknown> {
  const optional = (value: Date | null) => value?.toISOString();
  return withoutUndefined({
    id: user.id,
    aud: user.aud ?? "",
    role: user.role ?? "",
    email: user.email ?? "",
    email_confirmed_at: optional(user.email_confirmed_at),
    phone: user.phone ?? "",
    confirmed_at: optional(user.email_confirmed_at),
    last_sign_in_at: optional(user.last_sign_in_at),
    app_metadata: user.raw_app_meta_data ?? {},
    user_metadata: user.raw_user_meta_data ?? {},
    identities: [],
    created_at: user.created_at?.toISOString() ?? null,
    updated_at: user.updated_at?.toISOString() ?? null,
    is_anonymous: user.is_anonymous,
  });
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
