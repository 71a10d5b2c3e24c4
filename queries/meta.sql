-- name: months_loaded
-- Every month from the first to the last loaded, with the rows of the forces a figure uses (default Kent
-- Police; [] = every force with records in Maidstone). NULL rows = a gap: a month missing for any of them.
with calendar as (
    select distinct month from months_loaded
),

used as (
    select
        month,
        bool_and(is_present) as is_present,
        sum(rows)::bigint as rows
    from months_loaded
    where force in (select force from forces_used(_forces := $forces))
    group by month
)

select
    calendar.month,
    case when coalesce(used.is_present, false) then used.rows end as rows,
    coalesce(used.is_present, false) as is_present
from calendar
left join used on calendar.month = used.month
order by calendar.month;

-- name: other_forces_in_maidstone
-- Forces other than Kent Police with records placed in Maidstone (what the filter bar offers to add).
select
    force,
    force_name,
    records_maidstone
from forces
where force <> 'kent' and records_maidstone > 0
order by records_maidstone desc, force_name;

-- name: forces_summary
-- Every police.uk force in the store: records, those in Kent and Medway districts and in Maidstone, the
-- records with no location (placed in no district), the months covered and missing.
with unplaced as (
    select
        force,
        count(*) filter (where district is null)::bigint as records_no_district
    from records
    group by force
),

months as (
    select
        force,
        count(*) filter (where is_present)::bigint as months_present,
        count(*) filter (where not is_present)::bigint as months_missing
    from months_loaded
    group by force
)

select
    f.force,
    f.force_name,
    f.records,
    f.records_kent,
    f.records_maidstone,
    coalesce(u.records_no_district, 0) as records_no_district,
    f.first_month,
    f.last_month,
    m.months_present,
    m.months_missing
from forces as f
left join unplaced as u on f.force = u.force
left join months as m on f.force = m.force
order by f.force = 'kent' desc, f.records_maidstone desc, f.force_name;

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
select source_file, month, force, rows_read, rows_loaded, rows_rejected, rows_maidstone, force_name
from source_files
order by month, source_file;

-- name: rejects_summary
-- Rejected rows by file and reason.
select source_file, reason, count(*) as rows
from rejects
group by source_file, reason
order by source_file, rows desc;

-- name: location_methods
-- How Maidstone records of the forces a figure uses (default Kent Police) were placed in wards: by their
-- point, or by their LSOA; `forces` names those forces.
with selected as (
    select location_method, force
    from records_maidstone
    where len($forces) = 0 or list_contains($forces, force)
),

label as (
    select string_agg(distinct force_name, ' + ' order by force_name) as forces
    from forces
    where force in (select distinct force from selected)
)

select
    s.location_method,
    count(*) as records,
    any_value(label.forces) as forces
from selected as s
cross join label
group by s.location_method
order by records desc;
