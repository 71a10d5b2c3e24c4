-- name: create_partner_tables
-- Partner indicator tables and views (idempotent: safe to re-run on a copied store in an --update build).
create table if not exists partner_published (
    indicator_id varchar not null,      -- snake_case series id (one id = one series)
    indicator varchar not null,         -- readable label, constant per indicator_id
    theme varchar not null,             -- SMP priority / cross-cutting theme
    area_type varchar not null,         -- borough | ward_2022 | location | kent_district | kent_division
    area_code varchar,                  -- ONS code where one exists (NULL for locations, divisions, Rest of Borough)
    area_name varchar not null,         -- as published
    period_type varchar not null,       -- month | calendar_year | financial_year | custom
    period_start date not null,
    period_end date,                    -- NULL = open-ended ("since February 2023")
    value double not null,
    unit varchar not null,              -- count | percent | per_1000_population | rank | hours | gbp
    source_table varchar not null,
    note varchar,                       -- verbatim; NULL when the cell is empty
    loaded_from varchar not null,       -- partner CSV file name
    source_line integer not null        -- line in that file (the header is line 1)
);

create table if not exists partner_uploads (
    indicator_id varchar not null,
    indicator varchar not null,
    theme varchar not null,
    area_type varchar not null,
    area_code varchar,
    area_name varchar not null,
    period_type varchar not null,
    period_start date not null,
    period_end date,
    value double not null,
    unit varchar not null,
    source_table varchar not null,
    note varchar,
    loaded_from varchar not null,       -- the uploaded file's name
    source_line integer not null,
    is_restricted boolean not null,     -- TRUE: signed-in partners only; never in partner_indicators_public
    uploaded_by varchar not null,
    uploaded_at timestamp not null,     -- UTC
    upload_id varchar not null
);

create table if not exists partner_rejects (
    source_file varchar not null,
    line integer not null,
    reason varchar not null,
    raw varchar
);

create table if not exists partner_files (
    source_file varchar not null,
    rows_read integer not null,         -- rows_read = rows_loaded + rows_rejected
    rows_loaded integer not null,
    rows_rejected integer not null,
    sha256 varchar not null
);

create or replace view partner_indicators as
select
    indicator_id, indicator, theme, area_type, area_code, area_name, period_type,
    period_start, period_end, value, unit, source_table, note,
    false as is_restricted,
    loaded_from
from partner_published
union all
select
    indicator_id, indicator, theme, area_type, area_code, area_name, period_type,
    period_start, period_end, value, unit, source_table, note,
    is_restricted,
    loaded_from
from partner_uploads;

create or replace view partner_indicators_public as
select * from partner_indicators
where not is_restricted;

-- The rows every public partner.* query starts from: published figures and public uploads, never restricted
-- ones. public_uploads = path of the public uploads export (bound by dashboard.data, never from the URL); union,
-- not union all: an upload a build copied into the store is also in the export.
create or replace macro partner_public_rows(public_uploads) as table
select
    indicator_id, indicator, theme, area_type, area_code, area_name, period_type,
    period_start, period_end, value, unit, source_table, note, is_restricted, loaded_from
from partner_indicators_public
union
select
    indicator_id, indicator, theme, area_type, area_code, area_name, period_type,
    period_start, period_end, value, unit, source_table, note, is_restricted, loaded_from
from read_parquet(public_uploads)
where not is_restricted;

-- The rows every restricted.* query starts from (signed-in partners only; dashboard.data refuses those queries
-- otherwise): published figures, every upload in the all-uploads export (restricted ones included), and uploads
-- a build copied into the store that are no longer in the export, with who uploaded them and when.
create or replace macro partner_all_rows(all_uploads) as table
with exported as (
    select
        indicator_id, indicator, theme, area_type, area_code, area_name, period_type,
        period_start, period_end, value, unit, source_table, note, is_restricted, loaded_from,
        upload_id, uploaded_by, uploaded_at, source_line
    from read_parquet(all_uploads)
),

stored as (
    select
        indicator_id, indicator, theme, area_type, area_code, area_name, period_type,
        period_start, period_end, value, unit, source_table, note, is_restricted, loaded_from,
        upload_id, uploaded_by, uploaded_at, source_line
    from partner_uploads as s
    where not exists (
        select 1 from exported as e
        where e.upload_id = s.upload_id and e.source_line = s.source_line
    )
)

select
    indicator_id, indicator, theme, area_type, area_code, area_name, period_type,
    period_start, period_end, value, unit, source_table, note, false as is_restricted, loaded_from,
    null::varchar as upload_id, null::varchar as uploaded_by, null::timestamp as uploaded_at
from partner_published
union all
select * exclude (source_line) from exported
union all
select * exclude (source_line) from stored

-- name: clear_partner_published
-- Remove the published partner rows, their rejects and file reconciliation before a (re)load; uploads are kept.
delete from partner_published;
delete from partner_rejects;
delete from partner_files

-- name: partner_keys
-- The key of every partner row already in the store, with where it came from (for duplicate checks).
select
    indicator_id, area_type, area_code, area_name, period_type, period_start, period_end,
    loaded_from,
    false as is_upload,
    null::varchar as upload_id
from partner_published
union all
select
    indicator_id, area_type, area_code, area_name, period_type, period_start, period_end,
    loaded_from,
    true as is_upload,
    upload_id
from partner_uploads

-- name: partner_upload_key_conflicts
-- Uploaded rows whose key is also in the published partner files (reported by the build, not removed).
select count(*) as n
from partner_uploads as u
inner join partner_published as p
    on u.indicator_id = p.indicator_id
    and u.area_type = p.area_type
    and u.area_code is not distinct from p.area_code
    and u.area_name = p.area_name
    and u.period_type = p.period_type
    and u.period_start = p.period_start
    and u.period_end is not distinct from p.period_end

-- name: partner_series_conflicts
-- indicator_ids whose label, theme or unit differs between published rows, or that span more than one file.
select
    indicator_id,
    count(distinct indicator) as n_labels,
    count(distinct theme) as n_themes,
    count(distinct unit) as n_units,
    count(distinct loaded_from) as n_files,
    string_agg(distinct loaded_from, ', ' order by loaded_from) as files
from partner_published
group by indicator_id
having
    count(distinct indicator) > 1
    or count(distinct theme) > 1
    or count(distinct unit) > 1
    or count(distinct loaded_from) > 1
order by indicator_id
