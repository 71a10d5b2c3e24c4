-- name: monthly_counts_by_class
-- Records per month and crime class for the filters; NULL for months with no data (gaps).
with calendar as (
    select unnest($months)::date as month
),

present as (
    select month, is_present
    from months_present(_forces := $forces)
),

classes as (
    select unnest($classes) as crime_class
),

counts as (
    select month, crime_class, count(*) as records
    from maidstone_records($months, $ward_set, $area_type, $area_code, $classes, $crime_types, $priority, _forces := $forces)
    group by month, crime_class
),

final as (
    select
        calendar.month,
        classes.crime_class,
        coalesce(present.is_present, false) as is_present,
        case when coalesce(present.is_present, false) then coalesce(counts.records, 0) end as records
    from calendar
    cross join classes
    left join present on calendar.month = present.month
    left join counts on calendar.month = counts.month and classes.crime_class = counts.crime_class
)

select * from final order by month, crime_class;

-- name: monthly_counts_by_type
-- Records per month and crime type for the filters; NULL for months with no data (gaps).
with calendar as (
    select unnest($months)::date as month
),

present as (
    select month, is_present
    from months_present(_forces := $forces)
),

types as (
    select crime_type, crime_class
    from crime_categories
    where is_current
        and list_contains($classes, crime_class)
        and (len($crime_types) = 0 or list_contains($crime_types, crime_type))
),

counts as (
    select month, crime_type, count(*) as records
    from maidstone_records($months, $ward_set, $area_type, $area_code, $classes, $crime_types, $priority, _forces := $forces)
    group by month, crime_type
),

final as (
    select
        calendar.month,
        types.crime_type,
        types.crime_class,
        coalesce(present.is_present, false) as is_present,
        case when coalesce(present.is_present, false) then coalesce(counts.records, 0) end as records
    from calendar
    cross join types
    left join present on calendar.month = present.month
    left join counts on calendar.month = counts.month and types.crime_type = counts.crime_type
)

select * from final order by month, crime_class, crime_type;

-- name: counts_by_type_two_periods
-- Records by crime type in the current months and in the comparison months.
with types as (
    select crime_type, crime_class
    from crime_categories
    where is_current
        and list_contains($classes, crime_class)
        and (len($crime_types) = 0 or list_contains($crime_types, crime_type))
),

counts as (
    select
        crime_type,
        count(*) filter (where list_contains($months, month)) as records,
        count(*) filter (where list_contains($comparison_months, month)) as records_comparison
    from maidstone_records(
        list_concat($months, $comparison_months),
        $ward_set, $area_type, $area_code, $classes, $crime_types, $priority, _forces := $forces
    )
    group by crime_type
),

final as (
    select
        types.crime_type,
        types.crime_class,
        coalesce(counts.records, 0) as records,
        coalesce(counts.records_comparison, 0) as records_comparison
    from types
    left join counts on types.crime_type = counts.crime_type
)

select * from final order by records desc, crime_type;
