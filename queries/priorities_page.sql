-- name: priority_monthly_by_type
-- Records per month, SMP priority/theme and crime type (measure and context types, area rule applied); NULL = gap.
-- The shared filters apply (area, classes, crime types); the shared priority filter does not, because
-- each priority's own types are the filter here. A priority with an area rule (the town centre:
-- 'ward:High Street') counts only records in that ward of the chosen boundary set.
with calendar as (
    select unnest($months)::date as month
),

present as (
    select
        month,
        is_present
    from months_present(_forces := $forces)
),

priority_types as (
    select
        pct.priority_id,
        coalesce(p.area_rule, '') as area_rule,
        pct.crime_type,
        pct.role,
        cat.crime_class
    from priority_crime_types as pct
    inner join priorities as p on pct.priority_id = p.priority_id
    inner join crime_categories as cat on pct.crime_type = cat.crime_type
    where
        list_contains($classes, cat.crime_class)
        and (len($crime_types) = 0 or list_contains($crime_types, pct.crime_type))
),

selected as (
    select
        month,
        crime_type,
        ward_name
    from maidstone_records($months, $ward_set, $area_type, $area_code, $classes, $crime_types, '', _forces := $forces)
),

counts as (
    select
        priority_types.priority_id,
        priority_types.crime_type,
        priority_types.role,
        selected.month,
        count(*) as records
    from selected
    inner join priority_types
        on
            selected.crime_type = priority_types.crime_type
            and (
                priority_types.area_rule = ''
                or selected.ward_name = replace(priority_types.area_rule, 'ward:', '')
            )
    group by all
),

final as (
    select
        calendar.month,
        priority_types.priority_id,
        priority_types.crime_type,
        priority_types.crime_class,
        priority_types.role,
        coalesce(present.is_present, false) as is_present,
        case when coalesce(present.is_present, false) then coalesce(counts.records, 0) end as records
    from calendar
    cross join priority_types
    left join present on calendar.month = present.month
    left join counts
        on
            calendar.month = counts.month
            and priority_types.priority_id = counts.priority_id
            and priority_types.crime_type = counts.crime_type
            and priority_types.role = counts.role
)

select * from final
order by priority_id, role, crime_type, month;
