-- name: town_centre_by_year
-- High Street ward against the rest of the borough, by year, for a window of months (para 64); NULL = no data.
with selected as (
    select
        year(month) as year,
        case when ward_name = 'High Street' then 'High Street' else 'Rest of borough' end as area,
        crime_class,
        crime_type
    from maidstone_records($months, $ward_set, 'borough', '', ['VBC', 'CAS', 'ASB'], [], '', _forces := $forces)
),

measures as (
    select year, area, 'All crime (VBC + CAS)' as measure, count(*) filter (where crime_class <> 'ASB') as records
    from selected group by all
    union all
    select year, area, 'Victim-based crime (VBC)', count(*) filter (where crime_class = 'VBC') from selected group by all
    union all
    select year, area, 'Crimes against society (CAS)', count(*) filter (where crime_class = 'CAS') from selected group by all
    union all
    select year, area, 'Anti-social behaviour (ASB)', count(*) filter (where crime_class = 'ASB') from selected group by all
    union all
    select year, area, 'Shoplifting', count(*) filter (where crime_type = 'Shoplifting') from selected group by all
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

grid as (
    select years.year, years.months_requested, years.months_present, a.area, m.measure
    from years
    cross join (values ('High Street'), ('Rest of borough')) as a (area)
    cross join (
        values ('All crime (VBC + CAS)'), ('Victim-based crime (VBC)'), ('Crimes against society (CAS)'),
            ('Anti-social behaviour (ASB)'), ('Shoplifting')
    ) as m (measure)
),

final as (
    select
        grid.year,
        grid.area,
        grid.measure,
        grid.months_requested,
        grid.months_present,
        case when grid.months_present > 0 then coalesce(measures.records, 0) end as records
    from grid
    left join measures
        on grid.year = measures.year and grid.area = measures.area and grid.measure = measures.measure
)

select * from final order by measure, area, year;
