-- name: ward_summary
-- Each ward of the boundary set: records in both periods, population, rate per 1,000 and ranks.
with wards as (
    select ward_2022_code as ward_code, ward_2022_name as ward_name, cluster_2022 as cluster, population
    from wards_2022
    where $ward_set = '2022'
    union all
    select ward_2024_code, ward_2024_name, cluster_2024, population
    from wards_2024
    where $ward_set = '2024'
),

counts as (
    select
        ward_code,
        count(*) filter (where list_contains($months, month)) as records,
        count(*) filter (where list_contains($comparison_months, month)) as records_comparison
    from maidstone_records(
        list_concat($months, $comparison_months),
        $ward_set, 'borough', '', $classes, $crime_types, $priority, _forces := $forces
    )
    group by ward_code
),

joined as (
    select
        wards.ward_code,
        wards.ward_name,
        wards.cluster,
        wards.population,
        coalesce(counts.records, 0) as records,
        coalesce(counts.records_comparison, 0) as records_comparison
    from wards
    left join counts on wards.ward_code = counts.ward_code
),

final as (
    select
        *,
        records - records_comparison as change,
        case when records_comparison > 0
            then 100.0 * (records - records_comparison) / records_comparison end as pct_change,
        1000.0 * records / population as rate_per_1000_residents,
        1000.0 * records_comparison / population as rate_per_1000_residents_comparison,
        rank() over (order by records desc) as rank_by_records,
        rank() over (order by 1000.0 * records / population desc) as rank_by_rate
    from joined
)

select * from final order by records desc, ward_name;

-- name: area_counts_by_year
-- Records by ward or cluster, year and crime class (Appendix 2 Tables 1, 3-5, 8); NULL = no data that year.
with areas as (
    select distinct
        case when $area_level = 'cluster' then cluster_2022 else ward_2022_code end as area_code,
        case when $area_level = 'cluster' then cluster_2022 else ward_2022_name end as area_name
    from wards_2022
    where $ward_set = '2022'
    union all
    select distinct
        case when $area_level = 'cluster' then cluster_2024 else ward_2024_code end,
        case when $area_level = 'cluster' then cluster_2024 else ward_2024_name end
    from wards_2024
    where $ward_set = '2024'
),

years as (
    select
        year(requested.month) as year,
        count(*) as months_requested,
        count(*) filter (where coalesce(present.is_present, false)) as months_present
    from (select unnest($months)::date as month) as requested
    left join (
        select month, is_present from months_present(_forces := $forces)
    ) as present on requested.month = present.month
    group by year(requested.month)
),

classes as (
    select unnest($classes) as crime_class
),

counts as (
    select
        case when $area_level = 'cluster' then cluster else ward_code end as area_code,
        year(month) as year,
        crime_class,
        count(*) as records
    from maidstone_records($months, $ward_set, 'borough', '', $classes, $crime_types, $priority, _forces := $forces)
    group by all
),

final as (
    select
        areas.area_code,
        areas.area_name,
        years.year,
        years.months_requested,
        years.months_present,
        classes.crime_class,
        case when years.months_present > 0 then coalesce(counts.records, 0) end as records
    from areas
    cross join years
    cross join classes
    left join counts
        on areas.area_code = counts.area_code
        and years.year = counts.year
        and classes.crime_class = counts.crime_class
)

select * from final order by area_name, year, crime_class;

-- name: lsoa_summary
-- LSOAs with records in both periods, Census 2021 population, rate per 1,000 and change.
with counts as (
    select
        lsoa21_code,
        count(*) filter (where list_contains($months, month)) as records,
        count(*) filter (where list_contains($comparison_months, month)) as records_comparison
    from maidstone_records(
        list_concat($months, $comparison_months),
        $ward_set, $area_type, $area_code, $classes, $crime_types, $priority, _forces := $forces
    )
    group by lsoa21_code
),

joined as (
    select
        l.lsoa21_code,
        l.lsoa21_name,
        case when $ward_set = '2024' then w24.ward_2024_name else w22.ward_2022_name end as ward_name,
        l.population,
        coalesce(counts.records, 0) as records,
        coalesce(counts.records_comparison, 0) as records_comparison,
        counts.lsoa21_code is not null as has_records_in_area
    from lsoas as l
    left join counts on l.lsoa21_code = counts.lsoa21_code
    left join wards_2022 as w22 on l.ward_2022_code = w22.ward_2022_code
    left join wards_2024 as w24 on l.ward_2024_code = w24.ward_2024_code
),

final as (
    select
        *,
        records - records_comparison as change,
        case when records_comparison > 0
            then 100.0 * (records - records_comparison) / records_comparison end as pct_change,
        1000.0 * records / population as rate_per_1000_residents,
        rank() over (order by records desc) as rank_by_records
    from joined
    where $area_type = 'borough' or has_records_in_area
)

select * from final order by records desc, lsoa21_code;

-- name: top_locations
-- police.uk snap-point locations by records, with the number of months each had records.
with selected as (
    select *
    from maidstone_records(
        list_concat($months, $comparison_months),
        $ward_set, $area_type, $area_code, $classes, $crime_types, $priority, _forces := $forces
    )
    where longitude is not null
),

counts as (
    select
        location,
        longitude,
        latitude,
        any_value(ward_name) as ward_name,
        any_value(lsoa21_code) as lsoa21_code,
        count(*) filter (where list_contains($months, month)) as records,
        count(*) filter (where list_contains($comparison_months, month)) as records_comparison,
        count(distinct month) filter (where list_contains($months, month)) as months_with_records,
        mode(crime_type order by crime_type) filter (where list_contains($months, month)) as most_common_type  -- ties: first by name
    from selected
    group by location, longitude, latitude
),

final as (
    select
        coalesce(nullif(trim(replace(location, 'On or near', '')), ''), '(unnamed location)') as place,
        *,
        records - records_comparison as change,
        months_with_records >= $repeat_min_months as is_repeat_location
    from counts
    where records > 0
)

select * from final order by records desc, place limit $top_n;

-- name: ward_crime_mix
-- Records by crime type in one area for the period (the ward profile's type mix).
select crime_type, crime_class, count(*) as records
from maidstone_records($months, $ward_set, $area_type, $area_code, $classes, $crime_types, $priority, _forces := $forces)
group by crime_type, crime_class
order by records desc, crime_type;
