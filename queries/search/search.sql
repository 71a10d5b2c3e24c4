-- name: postcodes
-- Every postcode in the store with its point, district and placement (the search index's postcodes).
select
    postcode,
    outward_code,
    sector,
    longitude,
    latitude,
    in_borough,
    district_code,
    district_name,
    lsoa21_code,
    lsoa21_name,
    ward_2022_code,
    ward_2022_name,
    cluster_2022,
    ward_2024_code,
    ward_2024_name,
    cluster_2024,
    os_ward_code,
    os_ward_name,
    ward_differs_from_os,
    positional_quality
from postcodes
order by postcode;

-- name: snap_points
-- Every police.uk snap point in Maidstone (location, coordinates) with its records and wards (street search).
select
    location,
    longitude,
    latitude,
    count(*) as records,
    any_value(ward_2024_name) as ward_2024_name,
    any_value(ward_2022_name) as ward_2022_name
from records_maidstone
where longitude is not null and location is not null
group by location, longitude, latitude
order by location, longitude, latitude;

-- name: wards_both_sets
-- The wards of both boundary sets with their clusters (ward names are searched on either set).
select '2024' as ward_set, ward_2024_code as ward_code, ward_2024_name as ward_name, cluster_2024 as cluster
from wards_2024
union all
select '2022', ward_2022_code, ward_2022_name, cluster_2022
from wards_2022
order by ward_set desc, ward_name;

-- name: clusters_both_sets
-- The ward clusters of both boundary sets (2024 derived) with their wards.
select boundary_set as ward_set, cluster, cluster_label, wards, is_derived
from clusters
order by boundary_set desc, cluster;

-- name: lsoas
-- The 2021 LSOAs with their best-fit wards on both sets.
select
    l.lsoa21_code,
    l.lsoa21_name,
    l.ward_2024_code,
    w24.ward_2024_name,
    l.ward_2022_code,
    w22.ward_2022_name,
    l.population
from lsoas as l
left join wards_2024 as w24 on l.ward_2024_code = w24.ward_2024_code
left join wards_2022 as w22 on l.ward_2022_code = w22.ward_2022_code
order by l.lsoa21_code;

-- name: lsoa_2011_to_2021
-- The ONS LSOA 2011 -> 2021 lookup for Maidstone (U unchanged, S split, M merged, X irregular).
select lsoa11_code, lsoa11_name, lsoa21_code, lsoa21_name, change
from lsoa_2011_to_2021
order by lsoa11_code, lsoa21_code;

-- name: monthly_near
-- Records per month and class within $radius_m metres of any of the points ($lons, $lats); NULL = no data.
with points as (
    select unnest($lons)::double as lon, unnest($lats)::double as lat
),

box as (
    select
        min(lat) - $radius_m / 111000.0 as lat_lo,
        max(lat) + $radius_m / 111000.0 as lat_hi,
        min(lon) - $radius_m / 69000.0 as lon_lo,
        max(lon) + $radius_m / 69000.0 as lon_hi
    from points
),

candidates as (
    select r.*
    from maidstone_records($months, $ward_set, 'borough', '', $classes, $crime_types, $priority) as r, box
    where r.latitude between box.lat_lo and box.lat_hi and r.longitude between box.lon_lo and box.lon_hi
),

near as (
    select c.month, c.crime_class
    from candidates as c
    where exists (
        select 1
        from points as p
        where 6371000 * sqrt(
            pow(radians(c.longitude - p.lon) * cos(radians((c.latitude + p.lat) / 2)), 2)
            + pow(radians(c.latitude - p.lat), 2)
        ) <= $radius_m
    )
),

calendar as (
    select unnest($months)::date as month
),

present as (
    select month, bool_or(is_present) as is_present from months_loaded group by month
),

classes as (
    select unnest($classes) as crime_class
),

counts as (
    select month, crime_class, count(*) as records from near group by month, crime_class
),

final as (
    select
        calendar.month,
        classes.crime_class,
        coalesce(present.is_present, false) as is_present,
        case when coalesce(present.is_present, false) then coalesce(counts.records, 0) end as records
    from calendar
    cross join classes
    left join present on calendar.month = present.month
    left join counts on calendar.month = counts.month and classes.crime_class = counts.crime_class
)

select * from final order by month, crime_class;

-- name: snap_points_near
-- police.uk snap points within $radius_m metres of the points, with records in $months and $comparison_months.
with points as (
    select unnest($lons)::double as lon, unnest($lats)::double as lat
),

box as (
    select
        min(lat) - $radius_m / 111000.0 as lat_lo,
        max(lat) + $radius_m / 111000.0 as lat_hi,
        min(lon) - $radius_m / 69000.0 as lon_lo,
        max(lon) + $radius_m / 69000.0 as lon_hi
    from points
),

candidates as (
    select r.*
    from maidstone_records(
        list_concat($months, $comparison_months), $ward_set, 'borough', '', $classes, $crime_types, $priority
    ) as r, box
    where r.latitude between box.lat_lo and box.lat_hi and r.longitude between box.lon_lo and box.lon_hi
),

located as (
    select
        location,
        longitude,
        latitude,
        any_value(ward_name) as ward_name,
        count(*) filter (where list_contains($months, month)) as records,
        count(*) filter (where list_contains($comparison_months, month)) as records_comparison,
        mode(crime_type) filter (where list_contains($months, month)) as most_common_type
    from candidates
    group by location, longitude, latitude
),

distances as (
    select
        l.*,
        (
            select min(6371000 * sqrt(
                pow(radians(l.longitude - p.lon) * cos(radians((l.latitude + p.lat) / 2)), 2)
                + pow(radians(l.latitude - p.lat), 2)
            ))
            from points as p
        ) as distance_m
    from located as l
),

final as (
    select
        coalesce(nullif(trim(replace(location, 'On or near', '')), ''), '(unnamed location)') as place,
        round(distance_m)::integer as distance_m,
        records,
        records_comparison,
        records - records_comparison as change,
        most_common_type,
        ward_name,
        longitude,
        latitude
    from distances
    where distance_m <= $radius_m and (records > 0 or records_comparison > 0)
)

select * from final order by records desc, distance_m, place;

-- name: area_rate_vs_borough
-- Records and rate per 1,000 residents in $months for an area and for the whole borough (same filters).
with area_pop as (
    select sum(population) as population
    from (
        select ward_2024_code as ward_code, cluster_2024 as cluster, population from wards_2024 where $ward_set = '2024'
        union all
        select ward_2022_code, cluster_2022, population from wards_2022 where $ward_set = '2022'
    )
    where ($area_type = 'ward' and ward_code = $area_code) or ($area_type = 'cluster' and cluster = $area_code)
    union all
    select population from lsoas where $area_type = 'lsoa' and lsoa21_code = $area_code
),

borough_pop as (
    -- the same population base as the area: ONS ward estimates, or Census 2021 for an LSOA
    select sum(population) as population
    from (
        select population from wards_2024 where $ward_set = '2024' and $area_type <> 'lsoa'
        union all
        select population from wards_2022 where $ward_set = '2022' and $area_type <> 'lsoa'
        union all
        select population from lsoas where $area_type = 'lsoa'
    )
),

area_counts as (
    select count(*) as records
    from maidstone_records($months, $ward_set, $area_type, $area_code, $classes, $crime_types, $priority)
),

borough_counts as (
    select count(*) as records
    from maidstone_records($months, $ward_set, 'borough', '', $classes, $crime_types, $priority)
),

final as (
    select
        'area' as scope,
        area_counts.records,
        (select max(population) from area_pop) as population
    from area_counts
    union all
    select 'borough', borough_counts.records, borough_pop.population
    from borough_counts, borough_pop
)

select
    scope,
    records,
    population,
    1000.0 * records / nullif(population, 0) as rate_per_1000_residents
from final
order by scope
