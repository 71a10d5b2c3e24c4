-- name: create_tables
-- Store schema: the fact table of police.uk records, its load bookkeeping and the dimension tables.
create table records (
    month date not null,                -- first day of the police.uk month
    crime_id varchar using compression zstd,  -- police.uk Crime ID (empty for ASB); zstd: a 64-character hash, written 0.2 s faster than dictionary+FSST (bench/build.py), same size
    reported_by varchar,
    falls_within varchar,
    longitude double,                   -- police.uk anonymised snap point
    latitude double,
    location varchar,                   -- 'On or near ...'
    lsoa_code_published varchar,        -- as published: 2011 codes in 2022 files, 2021 codes later
    lsoa_name_published varchar,
    crime_type varchar not null,
    crime_class varchar not null,       -- 'VBC' | 'CAS' | 'ASB'
    last_outcome varchar,
    context varchar,
    source_file varchar not null,
    source_line integer not null,
    force varchar not null,             -- police.uk force slug from the file name
    district varchar,                   -- LAD name (LSOA name prefix, or point in district)
    lsoa21_code varchar,                -- Maidstone rows only
    ward_2022_code varchar,             -- Maidstone rows only, pre-May-2024 wards
    ward_2024_code varchar,             -- Maidstone rows only, May-2024 wards
    location_method varchar             -- 'point' | 'lsoa_lookup' | 'none' (Maidstone rows)
);

create table source_files (
    source_file varchar primary key,
    month date not null,
    force varchar not null,
    rows_read integer not null,
    rows_loaded integer not null,
    rows_rejected integer not null,
    rows_maidstone integer not null,    -- loaded rows placed in Maidstone (any force)
    rows_kent integer not null,         -- loaded rows placed in a Kent or Medway district
    force_name varchar                  -- the file's 'Reported by' (most rows), e.g. 'British Transport Police'
);

create table rejects (
    source_file varchar not null,
    line integer not null,
    reason varchar not null,
    raw varchar
);

create table ingest_notes (
    source_file varchar not null,       -- a file read, or a file name left unread (near-miss name)
    line integer,                       -- NULL for a note about the whole file
    note varchar not null               -- e.g. 'not valid UTF-8: read as Windows-1252 (cp1252)'
);

create table build_metadata (
    key varchar primary key,
    value varchar
);

create table wards_2022 (
    ward_2022_code varchar primary key,
    ward_2022_name varchar not null,
    population integer not null,        -- ONS mid-2022 estimate (rates use this)
    population_census2021 integer,      -- Census 2021, LSOA best-fit (approximate)
    cluster_2022 varchar not null,
    cluster_sub_group varchar
);

create table wards_2024 (
    ward_2024_code varchar primary key,
    ward_2024_name varchar not null,
    population integer not null,        -- ONS mid-2024 estimate (rates use this)
    population_census2021 integer,      -- Census 2021, LSOA best-fit (poor fit on these wards)
    cluster_2024 varchar not null,      -- derived, see clusters.note
    cluster_sub_group varchar,
    cluster_share_of_residents double,
    cluster_is_low_confidence boolean,
    cluster_derivation varchar
);

create table ward_overlap (
    ward_2022_code varchar,
    ward_2022_name varchar,
    ward_2024_code varchar,
    ward_2024_name varchar,
    share_of_ward_2022_area double,
    share_of_ward_2024_area double,
    residents_census2021_areal_est double
);

create table clusters (
    boundary_set varchar not null,      -- '2022' | '2024'
    cluster varchar not null,           -- 'Cluster 1' .. 'Cluster 8'
    cluster_label varchar not null,     -- 'Cluster 1 (Urban)'
    cluster_type varchar,
    is_derived boolean not null,
    n_wards integer not null,
    wards varchar,
    note varchar,
    primary key (boundary_set, cluster)
);

create table lsoas (
    lsoa21_code varchar primary key,
    lsoa21_name varchar not null,
    ward_2024_code varchar,             -- ONS best-fit
    ward_2022_code varchar,             -- area-majority (derived; >= 96.8% inside)
    population integer not null,        -- Census 2021 usual residents
    area_km2 double
);

create table lsoa_2011_to_2021 (
    lsoa11_code varchar,
    lsoa11_name varchar,
    lsoa21_code varchar,
    lsoa21_name varchar,
    change varchar                      -- U unchanged, S split, M merged, X irregular
);

create table districts (
    district_code varchar primary key,
    district_name varchar not null,
    population integer not null,        -- ONS mid-2024 (sum of ward estimates)
    population_census2021 integer,
    population_mid2022 integer,
    is_kent boolean not null
);

create table populations (
    area_type varchar not null,         -- ward_2022 | ward_2024 | lsoa21 | district
    area_code varchar not null,
    area_name varchar,
    basis varchar not null,             -- census2021 | mid2020 | mid2022 | mid2024 | census2021_bestfit
    population integer not null,
    is_rate_default boolean not null,
    primary key (area_type, area_code, basis)
);

create table crime_categories (
    crime_type varchar primary key,
    api_slug varchar,
    crime_class varchar not null,
    sa_categories varchar,
    is_current boolean not null
);

create table priorities (
    priority_id varchar primary key,
    name varchar not null,
    kind varchar not null,              -- 'priority' | 'theme'
    measurable varchar not null,        -- 'yes' | 'partial' | 'no' from police.uk
    what_police_uk_measures varchar,
    what_it_cannot varchar,
    area_rule varchar
);

create table priority_crime_types (
    priority_id varchar not null,
    crime_type varchar not null,
    role varchar not null               -- 'measure' | 'context'
);

-- name: create_views
-- The public contract for analysts: crime_records and months_loaded (names kept stable), and forces.
-- forces: every police.uk force in the store, its name as its files give it, its records, those placed in
-- Kent and Medway districts and in Maidstone, and the months it covers (from source_files, so cheap).
create or replace view forces as
select
    force,
    coalesce(arg_max(force_name, rows_loaded), force) as force_name,
    sum(rows_loaded)::bigint as records,
    sum(rows_kent)::bigint as records_kent,
    sum(rows_maidstone)::bigint as records_maidstone,
    min(month) filter (where rows_loaded > 0) as first_month,
    max(month) filter (where rows_loaded > 0) as last_month
from source_files
group by force;

create or replace view crime_records as
select
    r.month,
    r.crime_id,
    r.crime_type,
    r.crime_class,
    r.district,
    r.lsoa21_code,
    r.ward_2022_code,
    w22.ward_2022_name,
    r.ward_2024_code,
    w24.ward_2024_name,
    w22.cluster_2022,
    w24.cluster_2024,
    r.longitude,
    r.latitude,
    r.location,
    r.last_outcome,
    r.force,
    r.falls_within,
    r.lsoa_code_published,
    r.lsoa_name_published,
    r.location_method,
    r.source_file,
    r.source_line,
    f.force_name
from records as r
left join wards_2022 as w22 on r.ward_2022_code = w22.ward_2022_code
left join wards_2024 as w24 on r.ward_2024_code = w24.ward_2024_code
left join forces as f on r.force = f.force;

create or replace view months_loaded as
with loaded as (
    select
        month,
        force,
        sum(rows_loaded)::bigint as rows_loaded,
        string_agg(source_file, '; ' order by source_file) as source_files
    from source_files
    group by month, force
),

bounds as (
    select min(month) as first_month, max(month) as last_month from loaded
),

calendar as (
    select unnest(generate_series(first_month, last_month, interval 1 month))::date as month
    from bounds
),

final as (
    select
        calendar.month,
        forces.force,
        case when loaded.rows_loaded > 0 then loaded.rows_loaded end as rows,  -- a file with no rows is a gap, never a zero
        coalesce(loaded.rows_loaded > 0, false) as is_present,
        loaded.source_files,
        forces.force_name
    from calendar
    cross join forces
    left join loaded on calendar.month = loaded.month and forces.force = loaded.force
)

select * from final order by force, month
