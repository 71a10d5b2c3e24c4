-- name: district_summary
-- Kent and Medway districts: records in both periods, population, rate per 1,000 and ranks.
with counts as (
    select
        district,
        count(*) filter (where list_contains($months, month)) as records,
        count(*) filter (where list_contains($comparison_months, month)) as records_comparison
    from kent_records(list_concat($months, $comparison_months), $classes, $crime_types, _forces := $forces)
    group by district
),

populations as (
    select area_code as district_code, population
    from populations
    where area_type = 'district' and basis = $population_basis
),

joined as (
    select
        d.district_code,
        d.district_name,
        p.population,
        coalesce(c.records, 0) as records,
        coalesce(c.records_comparison, 0) as records_comparison
    from districts as d
    inner join populations as p on d.district_code = p.district_code
    left join counts as c on d.district_name = c.district
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

select * from final order by records desc;

-- name: unplaced_kent_records
-- Records of the forces a figure uses (default Kent Police) in the months that have no location, so no
-- district (excluded from rankings); `forces` names those forces.
with selected as (
    select force
    from records
    where list_contains($months, month) and district is null
        and (len($forces) = 0 or list_contains($forces, force))
)

select
    (select count(*) from selected) as records,
    coalesce(
        (
            select string_agg(force_name, ' + ' order by force = 'kent' desc, force_name)
            from forces
            where force in (select force from forces_used(_forces := $forces, _scope := 'kent'))
        ),
        'Kent Police'
    ) as forces;
