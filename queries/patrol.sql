-- name: patrol_locations
-- Snap points in an area with records of the patrol sheet's crime types: records in the window and the comparison months (each record once), months with records, ward (chosen set) and LSOA.
-- $column_types lists the crime types of every column (a type may appear in several columns); it must not be empty.
with selected as (
    select
        month,
        location,
        longitude,
        latitude,
        ward_name,
        lsoa21_code
    from maidstone_records(
        list_concat($months, $comparison_months),
        $ward_set, $area_type, $area_code, ['VBC', 'CAS', 'ASB'], list_distinct($column_types), ''
    )
    where longitude is not null and len($column_types) > 0
),

final as (
    select
        location,
        longitude,
        latitude,
        any_value(ward_name) as ward_name,
        any_value(lsoa21_code) as lsoa21_code,
        count(*) filter (where list_contains($months, month)) as records,
        count(*) filter (where list_contains($comparison_months, month)) as records_comparison,
        count(distinct month) filter (where list_contains($months, month)) as months_with_records
    from selected
    group by location, longitude, latitude
)

select * from final
where records > 0 or records_comparison > 0
order by records desc, location, longitude, latitude;

-- name: patrol_location_columns
-- Records per snap point and patrol-sheet column (a column is a named set of crime types) in the window and the comparison months.
-- $column_names and $column_types are parallel lists: one (column, crime type) pair per element.
with columns as (
    select distinct
        unnest($column_names) as column_name,
        unnest($column_types) as crime_type
),

selected as (
    select
        month,
        crime_type,
        location,
        longitude,
        latitude
    from maidstone_records(
        list_concat($months, $comparison_months),
        $ward_set, $area_type, $area_code, ['VBC', 'CAS', 'ASB'], list_distinct($column_types), ''
    )
    where longitude is not null and len($column_types) > 0
),

final as (
    select
        s.location,
        s.longitude,
        s.latitude,
        c.column_name,
        count(*) filter (where list_contains($months, s.month)) as records,
        count(*) filter (where list_contains($comparison_months, s.month)) as records_comparison
    from selected as s
    inner join columns as c on s.crime_type = c.crime_type
    group by s.location, s.longitude, s.latitude, c.column_name
)

select * from final order by location, longitude, latitude, column_name;

-- name: patrol_unplaced
-- Records of the patrol sheet's crime types in the area and window that have no snap point (so are on no list).
select count(*) as records
from maidstone_records($months, $ward_set, $area_type, $area_code, ['VBC', 'CAS', 'ASB'], list_distinct($column_types), '')
where longitude is null and len($column_types) > 0;

-- name: snap_point_names
-- Every distinct police.uk snap point of the Maidstone records (any month): its location text and coordinates.
select distinct
    location,
    longitude,
    latitude
from records_maidstone
where longitude is not null
order by location, longitude, latitude;
