-- name: reconcile_counts
-- Maidstone records in the months, some classes and crime types (none = all), per pre-May-2024 ward and for the whole borough (ward_code ''), for the reconciliation with the Strategic Assessment.
with selected as (
    select ward_2022_code
    from records_maidstone
    where list_contains($months, month)
        and list_contains($classes, crime_class)
        and (len($crime_types) = 0 or list_contains($crime_types, crime_type))
),

final as (
    select
        case when grouping(ward_2022_code) = 1 then '' else coalesce(ward_2022_code, '(no ward)') end as ward_code,
        count(*) as records
    from selected
    group by grouping sets ((ward_2022_code), ())
)

select * from final order by ward_code;
