-- name: months_loaded
-- Every month from the first to the last loaded, with the rows loaded (NULL = missing month).
select
    month,
    sum(rows)::bigint as rows,
    bool_or(is_present) as is_present
from months_loaded
group by month
order by month;

-- name: build_metadata
-- The store's build metadata (source, build time, row counts, code version).
select key, value from build_metadata order by key;

-- name: wards
-- The wards of one boundary set with their cluster and the population used for rates.
with wards as (
    select
        '2022' as ward_set,
        ward_2022_code as ward_code,
        ward_2022_name as ward_name,
        cluster_2022 as cluster,
        cluster_sub_group,
        population,
        'ONS mid-2022 estimate' as population_basis
    from wards_2022
    union all
    select
        '2024' as ward_set,
        ward_2024_code,
        ward_2024_name,
        cluster_2024,
        cluster_sub_group,
        population,
        'ONS mid-2024 estimate' as population_basis
    from wards_2024
),

final as (
    select * exclude (ward_set) from wards where ward_set = $ward_set
)

select * from final order by ward_name;

-- name: clusters
-- The eight ward clusters of one boundary set (2024 clusters are derived, not published).
select
    cluster,
    cluster_label,
    cluster_type,
    is_derived,
    n_wards,
    wards,
    note
from clusters
where boundary_set = $ward_set
order by cluster;

-- name: wards_2024_derivation
-- How each May-2024 ward's cluster was derived (share of residents from the old cluster).
select
    ward_2024_code,
    ward_2024_name,
    cluster_2024,
    cluster_sub_group,
    cluster_share_of_residents,
    cluster_is_low_confidence,
    cluster_derivation
from wards_2024
order by ward_2024_name;

-- name: lsoas
-- Maidstone LSOAs (2021) with their best-fit wards and Census 2021 population.
select
    l.lsoa21_code,
    l.lsoa21_name,
    l.ward_2022_code,
    w22.ward_2022_name,
    l.ward_2024_code,
    w24.ward_2024_name,
    l.population
from lsoas as l
left join wards_2022 as w22 on l.ward_2022_code = w22.ward_2022_code
left join wards_2024 as w24 on l.ward_2024_code = w24.ward_2024_code
order by l.lsoa21_code;

-- name: crime_types
-- The current police.uk crime types with their crime class (VBC / CAS / ASB).
select crime_type, crime_class, sa_categories
from crime_categories
where is_current
order by crime_class desc, crime_type;

-- name: priorities
-- SMP priorities and cross-cutting themes, with what police.uk can and cannot measure.
select
    p.priority_id,
    p.name,
    p.kind,
    p.measurable,
    p.what_police_uk_measures,
    p.what_it_cannot,
    p.area_rule,
    coalesce(
        list(pct.crime_type order by pct.crime_type) filter (where pct.role = 'measure'), []::varchar[]
    ) as measure_types,
    coalesce(
        list(pct.crime_type order by pct.crime_type) filter (where pct.role = 'context'), []::varchar[]
    ) as context_types
from priorities as p
left join priority_crime_types as pct on p.priority_id = pct.priority_id
group by all
order by p.kind, p.priority_id;

-- name: ward_overlap
-- Which pre-2024 wards make up each May-2024 ward (ONS area overlap, with resident estimate).
select
    ward_2024_code,
    ward_2024_name,
    ward_2022_code,
    ward_2022_name,
    share_of_ward_2022_area,
    share_of_ward_2024_area,
    residents_census2021_areal_est
from ward_overlap
order by ward_2024_name, residents_census2021_areal_est desc;

-- name: source_files
-- Per-file reconciliation of the last build: rows read = loaded + rejected.
select source_file, month, force, rows_read, rows_loaded, rows_rejected, rows_maidstone
from source_files
order by month, source_file;

-- name: rejects_summary
-- Rejected rows by file and reason.
select source_file, reason, count(*) as rows
from rejects
group by source_file, reason
order by source_file, rows desc;

-- name: location_methods
-- How Maidstone records were placed in wards: by their point, or by their LSOA.
select location_method, count(*) as records
from records_maidstone
group by location_method
order by records desc;
