-- =============================================================================
-- Time zones are IANA zone names, never abbreviations (issue 13, item 4).
--
-- PostgreSQL's `at time zone` also accepts abbreviations (PST, CEST, IST) and
-- POSIX rules (EST5EDT, 'America/New_York+5'), which are fixed offsets: an
-- organization set to PST ran its night an hour late all summer. The accepted
-- domain is now exactly the server's zone names of the form Area/Location
-- (Europe/Copenhagen, Etc/GMT+5), plus UTC, spelled as the zone database spells
-- them (shared/time_zone.ts applies the same rule; a test keeps them equal).
-- The list is taken from pg_timezone_names when this migration runs and kept in
-- the function (pg_timezone_names reads the whole zone database, ~50 ms per
-- call: too slow for a check constraint). After a zone-database upgrade that
-- adds zones, run select private.refresh_time_zone_names().
--
-- Existing rows holding anything else are mapped (private.time_zone_replacement):
-- a case variant to its spelling, a known abbreviation to its usual zone, anything
-- else to the default Europe/Copenhagen, each with a warning naming the row.
-- =============================================================================

create function private.refresh_time_zone_names()
returns integer
language plpgsql
volatile
set search_path = ''
as $refresh$
declare
  v_names text[];
begin
  select array_agg(zone.name order by zone.name) into v_names
  from pg_catalog.pg_timezone_names as zone
  where zone.name = 'UTC'
     or (zone.name ~ '^[A-Z][A-Za-z]*(/[A-Z][A-Za-z0-9_+-]*)+$'
         and split_part(zone.name, '/', 1) in ('Africa', 'America', 'Antarctica', 'Arctic',
           'Asia', 'Atlantic', 'Australia', 'Brazil', 'Canada', 'Chile', 'Etc', 'Europe',
           'Indian', 'Mexico', 'Pacific', 'US'));
  execute format($function$
    create or replace function private.is_time_zone_name(candidate text)
    returns boolean
    language sql
    immutable
    parallel safe
    set search_path = ''
    as $body$ select coalesce(candidate = any (%L::text[]), false) $body$
  $function$, v_names);
  comment on function private.is_time_zone_name(text) is
    'Whether a text is an IANA time zone name (Area/Location or UTC, as pg_timezone_names spells '
    'it; never an abbreviation or POSIX rule). The list is refreshed by '
    'private.refresh_time_zone_names().';
  return cardinality(v_names);
end
$refresh$;
comment on function private.refresh_time_zone_names() is
  'Rebuilds private.is_time_zone_name from pg_timezone_names (Area/Location names and UTC). '
  'Returns how many names it accepts.';
revoke execute on function private.refresh_time_zone_names() from public;

select private.refresh_time_zone_names();

create function private.time_zone_replacement(p_time_zone text)
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    case when private.is_time_zone_name(p_time_zone) then p_time_zone end,
    (select zone.name from pg_catalog.pg_timezone_names as zone
      where lower(zone.name) = lower(btrim(p_time_zone)) and private.is_time_zone_name(zone.name)
      limit 1),
    case upper(btrim(p_time_zone))
      when 'PST' then 'America/Los_Angeles' when 'PDT' then 'America/Los_Angeles'
      when 'PST8PDT' then 'America/Los_Angeles'
      when 'MST' then 'America/Denver' when 'MDT' then 'America/Denver'
      when 'MST7MDT' then 'America/Denver'
      when 'CST' then 'America/Chicago' when 'CDT' then 'America/Chicago'
      when 'CST6CDT' then 'America/Chicago'
      when 'EST' then 'America/New_York' when 'EDT' then 'America/New_York'
      when 'EST5EDT' then 'America/New_York'
      when 'AKST' then 'America/Anchorage' when 'AKDT' then 'America/Anchorage'
      when 'HST' then 'Pacific/Honolulu'
      when 'GMT' then 'UTC' when 'UCT' then 'UTC' when 'Z' then 'UTC' when 'ZULU' then 'UTC'
      when 'UNIVERSAL' then 'UTC'
      when 'BST' then 'Europe/London' when 'WET' then 'Europe/Lisbon'
      when 'WEST' then 'Europe/Lisbon'
      when 'CET' then 'Europe/Copenhagen' when 'CEST' then 'Europe/Copenhagen'
      when 'MET' then 'Europe/Copenhagen' when 'MEST' then 'Europe/Copenhagen'
      when 'EET' then 'Europe/Helsinki' when 'EEST' then 'Europe/Helsinki'
      when 'MSK' then 'Europe/Moscow'
      when 'IST' then 'Asia/Kolkata' when 'JST' then 'Asia/Tokyo' when 'KST' then 'Asia/Seoul'
      when 'AEST' then 'Australia/Sydney' when 'AEDT' then 'Australia/Sydney'
      when 'ACST' then 'Australia/Adelaide' when 'ACDT' then 'Australia/Adelaide'
      when 'AWST' then 'Australia/Perth'
      when 'NZST' then 'Pacific/Auckland' when 'NZDT' then 'Pacific/Auckland'
    end,
    'Europe/Copenhagen'
  )
$$;
comment on function private.time_zone_replacement(text) is
  'The IANA zone an existing time_zone value is migrated to: itself when valid, its spelling '
  'when only the case differs, the usual zone of a known abbreviation (IST: Asia/Kolkata, '
  'CET/CEST: Europe/Copenhagen), else the default Europe/Copenhagen.';
revoke execute on function private.time_zone_replacement(text) from public;

do $$
declare
  v_row record;
begin
  for v_row in
    select organization.id, organization.time_zone,
           private.time_zone_replacement(organization.time_zone) as replacement
    from public.organizations as organization
    where not private.is_time_zone_name(organization.time_zone)
  loop
    raise warning 'organizations.time_zone of % was %: set to %',
      v_row.id, quote_literal(v_row.time_zone), v_row.replacement;
    update public.organizations set time_zone = v_row.replacement where id = v_row.id;
  end loop;
end
$$;
