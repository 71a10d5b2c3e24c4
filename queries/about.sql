-- name: about_locations
-- Kent Police records by whether police.uk gave them a location and whether a district could be found.
with records as (
    select
        crime_class,
        longitude,
        location,
        district
    from records
),

final as (
    select
        count(*)::bigint as records,
        count(*) filter (where location like 'On or near%')::bigint as records_on_or_near,
        count(*) filter (where longitude is null)::bigint as records_no_location,
        count(*) filter (where longitude is null and crime_class = 'ASB')::bigint as asb_no_location,
        count(*) filter (where district is null)::bigint as records_no_district,
        count(*) filter (where district = 'Maidstone')::bigint as records_maidstone
    from records
)

select * from final;

-- name: about_lsoa_vintage
-- Maidstone records by year and how their published LSOA code became an LSOA 2021 code.
with lookup as (
    select
        lsoa11_code,
        any_value(change) as change
    from lsoa_2011_to_2021
    group by lsoa11_code
),

lsoas_2021 as (
    select lsoa21_code from lsoas
),

records as (
    select
        year(r.month) as year,
        r.lsoa_code_published,
        r.lsoa21_code,
        r.lsoa_code_published in (select lsoa21_code from lsoas_2021) as is_2021_code
    from records_maidstone as r
),

years as (
    select
        year,
        not bool_and(is_2021_code) as uses_2011_codes
    from records
    group by year
),

classified as (
    select
        r.year,
        y.uses_2011_codes,
        case
            when not y.uses_2011_codes then '2021 code as published'
            when l.change = 'U' then '2011 code, unchanged in 2021'
            when l.change = 'S' then '2011 code, split in 2021 (resolved by the point)'
            when l.change = 'M' then '2011 code, merged in 2021'
            else '2011 code, not in the ONS lookup'
        end as how_placed,
        r.lsoa_code_published is distinct from r.lsoa21_code as is_recoded
    from records as r
    inner join years as y on r.year = y.year
    left join lookup as l on r.lsoa_code_published = l.lsoa11_code
),

final as (
    select
        year,
        uses_2011_codes,
        how_placed,
        count(*)::bigint as records,
        count(*) filter (where is_recoded)::bigint as records_recoded
    from classified
    group by year, uses_2011_codes, how_placed
)

select * from final order by year, how_placed;

-- name: about_populations
-- The population bases in the store: areas, total residents and which basis rates use by default.
with populations as (
    select
        area_type,
        basis,
        is_rate_default,
        population
    from populations
),

final as (
    select
        area_type,
        basis,
        is_rate_default,
        count(*)::bigint as areas,
        sum(population)::bigint as residents
    from populations
    group by area_type, basis, is_rate_default
)

select * from final order by area_type, is_rate_default desc, basis;

-- name: month_changes_present
-- Whether the store holds a refresh change report (month_changes is created by the first refresh).
select count(*) > 0 as present
from duckdb_tables()
where database_name = current_database() and schema_name = 'main' and table_name = 'month_changes';

-- name: month_changes
-- What each monthly refresh changed: per new or revised month, rows before and after, rows added and
-- removed, and crimes whose last outcome was revised (newest refresh first).
select
    refreshed_at_utc,
    archive,
    month,
    force,
    change,
    rows_before,
    rows_after,
    rows_added,
    rows_removed,
    outcomes_revised,
    rejected_before,
    rejected_after
from month_changes
order by refreshed_at_utc desc, month desc, force;
