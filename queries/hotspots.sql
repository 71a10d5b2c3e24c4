-- name: hotspot_points
-- The police.uk snap points of the filtered records (for the point density / hexagon layer).
select
    longitude,
    latitude,
    month,
    crime_type,
    crime_class,
    location,
    ward_name,
    lsoa21_code
from maidstone_records($months, $ward_set, $area_type, $area_code, $classes, $crime_types, $priority, _forces := $forces)
where longitude is not null;
