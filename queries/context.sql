-- name: area_and_borough_by_class
-- Records by crime class in one area and in the whole borough in the same months, with both areas' residents on the same population basis (wards and clusters: the boundary set's ONS estimate; LSOAs: Census 2021).
with units as (
    select
        'ward' as unit,
        ward_2022_code as code,
        cluster_2022 as cluster,
        population,
        'ONS mid-2022 estimates' as population_basis
    from wards_2022
    where $ward_set = '2022'
    union all
    select
        'ward' as unit,
        ward_2024_code as code,
        cluster_2024 as cluster,
        population,
        'ONS mid-2024 estimates' as population_basis
    from wards_2024
    where $ward_set = '2024'
    union all
    select
        'lsoa' as unit,
        lsoa21_code as code,
        null as cluster,
        population,
        'Census 2021 usual residents' as population_basis
    from lsoas
),

chosen as (
    select *
    from units
    where unit = case when $area_type = 'lsoa' then 'lsoa' else 'ward' end
),

residents as (
    select
        sum(population) as borough_population,
        sum(population) filter (
            where $area_type = 'borough'
            or ($area_type = 'ward' and code = $area_code)
            or ($area_type = 'cluster' and cluster = $area_code)
            or ($area_type = 'lsoa' and code = $area_code)
        ) as area_population,
        any_value(population_basis) as population_basis
    from chosen
),

classes as (
    select unnest($classes) as crime_class
),

counts as (
    select
        crime_class,
        count(*) as borough_records,
        count(*) filter (
            where $area_type = 'borough'
            or ($area_type = 'ward' and ward_code = $area_code)
            or ($area_type = 'cluster' and cluster = $area_code)
            or ($area_type = 'lsoa' and lsoa21_code = $area_code)
        ) as area_records
    from maidstone_records($months, $ward_set, 'borough', '', $classes, $crime_types, $priority)
    group by crime_class
),

final as (
    select
        classes.crime_class,
        coalesce(counts.area_records, 0) as area_records,
        coalesce(counts.borough_records, 0) as borough_records,
        residents.area_population,
        residents.borough_population,
        residents.population_basis
    from classes
    cross join residents
    left join counts on classes.crime_class = counts.crime_class
)

select * from final order by crime_class;

-- name: ward_counts_by_class_two_periods
-- Records by ward and crime class in the current months and in the comparison months, within one area (e.g. a cluster's wards).
select
    ward_code,
    crime_class,
    count(*) filter (where list_contains($months, month)) as records,
    count(*) filter (where list_contains($comparison_months, month)) as records_comparison
from maidstone_records(
    list_concat($months, $comparison_months),
    $ward_set, $area_type, $area_code, $classes, $crime_types, $priority
)
group by ward_code, crime_class
order by ward_code, crime_class;

-- name: lsoa_2011_lookup
-- The ONS 2011 to 2021 LSOA lookup for the borough: each 2011 code, the 2021 code(s) it became and how (U, S, M, X).
select
    lsoa11_code,
    lsoa21_code,
    change
from lsoa_2011_to_2021
order by lsoa11_code, lsoa21_code;
