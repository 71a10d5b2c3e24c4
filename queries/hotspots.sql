-- name: hotspot_snap_points
-- Records per police.uk snap point (its coordinates) of the filtered records, with the point's most used name (for the hexagon layer).
select
    longitude,
    latitude,
    coalesce(nullif(trim(replace(mode(location), 'On or near', '')), ''), '(unnamed location)') as place,
    count(*) as records
from maidstone_records($months, $ward_set, $area_type, $area_code, $classes, $crime_types, $priority)
where longitude is not null
group by longitude, latitude
order by records desc, place, longitude, latitude;

-- name: lsoa_monthly_counts
-- Records per LSOA and month across the whole borough (the emerging hot spot analysis); an LSOA without records in a month is absent (a zero, the month has data).
select
    lsoa21_code,
    month,
    count(*) as records
from maidstone_records($months, $ward_set, 'borough', '', $classes, $crime_types, $priority)
where lsoa21_code is not null
group by lsoa21_code, month
order by lsoa21_code, month;
