-- name: create_postcode_tables
-- Postcode tables (OS Code-Point Open), recreated empty by every build; smp_data/postcodes.py fills them.
create or replace table postcode_points (
    postcode varchar primary key,       -- normalised: upper case, one space ('ME15 6JQ')
    outward_code varchar not null,      -- 'ME15' (the postcode district)
    sector varchar not null,            -- 'ME15 6'
    positional_quality integer not null, -- OS: 10 = within a matched building ... 50 = estimated
    eastings integer not null,          -- British National Grid (EPSG:27700)
    northings integer not null,
    longitude double not null,          -- WGS84 (EPSG:4326), converted with pyproj
    latitude double not null,
    os_district_code varchar not null,  -- OS Admin_district_code (E07000110 = Maidstone)
    os_ward_code varchar,               -- OS Admin_ward_code (May-2024 ward set)
    in_borough boolean not null,        -- OS admin district is Maidstone
    lsoa21_code varchar,                -- point in polygon (borough postcodes only)
    ward_2022_code varchar,             -- point in polygon, pre-May-2024 wards
    ward_2024_code varchar,             -- point in polygon, May-2024 wards
    placement varchar,                  -- 'point' | 'nearest' (point outside the generalised ONS polygons)
    source_file varchar not null,
    source_line integer not null
);

create or replace table postcode_rejects (
    source_file varchar not null,
    line integer not null,
    reason varchar not null,
    raw varchar
);

create or replace table postcode_files (
    source_file varchar not null,
    rows_read integer not null,         -- rows_read = rows_loaded + rows_rejected
    rows_loaded integer not null,
    rows_rejected integer not null,
    rows_in_borough integer not null,
    ward_disagreements integer not null -- borough postcodes whose OS ward differs from our point-in-polygon ward
);

-- name: create_postcode_views
-- The public contract for postcodes: view postcodes (one row per live postcode, borough ones placed).
create or replace view postcodes as
select
    p.postcode,
    p.outward_code,
    p.sector,
    p.positional_quality,
    p.eastings,
    p.northings,
    p.longitude,
    p.latitude,
    p.in_borough,
    p.os_district_code as district_code,
    d.district_name,
    p.lsoa21_code,
    l.lsoa21_name,
    p.ward_2022_code,
    w22.ward_2022_name,
    w22.cluster_2022,
    p.ward_2024_code,
    w24.ward_2024_name,
    w24.cluster_2024,
    p.os_ward_code,
    os_w.ward_2024_name as os_ward_name,
    p.in_borough and p.os_ward_code is distinct from p.ward_2024_code as ward_differs_from_os,
    p.placement,
    p.source_file,
    p.source_line
from postcode_points as p
left join districts as d on p.os_district_code = d.district_code
left join lsoas as l on p.lsoa21_code = l.lsoa21_code
left join wards_2022 as w22 on p.ward_2022_code = w22.ward_2022_code
left join wards_2024 as w24 on p.ward_2024_code = w24.ward_2024_code
left join wards_2024 as os_w on p.os_ward_code = os_w.ward_2024_code
