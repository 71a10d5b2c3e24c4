-- name: create_macros
-- Table macros stored with the data so every dashboard query filters records the same way.
-- records_maidstone: a derived, denormalised copy of the Maidstone records (ward names and
-- clusters of both boundary sets joined, sorted by month) that the dashboard reads.
-- maidstone_records: Maidstone records in the given months, with the ward and cluster of the
-- chosen boundary set, filtered by area, crime classes, crime types and SMP priority.
--   _months       DATE[]    months to include (first of month)
--   _ward_set     VARCHAR   '2022' (pre-May-2024 wards) | '2024' (May-2024 wards)
--   _area_type    VARCHAR   'borough' | 'cluster' | 'ward' | 'lsoa'
--   _area_code    VARCHAR   cluster name ('Cluster 5'), ward code or LSOA 2021 code; '' for borough
--   _classes      VARCHAR[] subset of ['VBC', 'CAS', 'ASB']
--   _crime_types  VARCHAR[] police.uk crime types; [] means all
--   _priority     VARCHAR   priorities.priority_id; '' means no priority filter
--   _forces       VARCHAR[] police.uk forces (named, optional): default ['kent'] (Kent Police records, as
--                           the Strategic Assessment counts); [] means every force in the store
-- kent_records(_months, _classes, _crime_types, _forces := ['kent']): records in Kent and Medway districts.
-- forces_used(_forces := ['kent'], _scope := 'maidstone'): the forces a figure uses: those named, or for
-- [] every force with records in Maidstone (_scope 'maidstone') or in Kent districts ('kent').
-- months_present(_forces := ['kent'], _scope := 'maidstone'): per month, true when every force the figure
-- uses has data for it (a month missing for one of them is a gap, never a zero).
create or replace table records_maidstone as
select
    r.*,
    w22.ward_2022_name,
    w22.cluster_2022,
    w24.ward_2024_name,
    w24.cluster_2024
from records as r
left join wards_2022 as w22 on r.ward_2022_code = w22.ward_2022_code
left join wards_2024 as w24 on r.ward_2024_code = w24.ward_2024_code
where r.district = 'Maidstone'
order by r.month, r.source_file, r.source_line;

create or replace macro maidstone_records(
    _months, _ward_set, _area_type, _area_code, _classes, _crime_types, _priority, _forces := ['kent']
) as table
with placed as (
    select
        r.*,
        case when _ward_set = '2024' then r.ward_2024_code else r.ward_2022_code end as ward_code,
        case when _ward_set = '2024' then r.ward_2024_name else r.ward_2022_name end as ward_name,
        case when _ward_set = '2024' then r.cluster_2024 else r.cluster_2022 end as cluster
    from records_maidstone as r
    where list_contains(_months, r.month)
        and (len(_forces) = 0 or list_contains(_forces, r.force))
        and list_contains(_classes, r.crime_class)
        and (len(_crime_types) = 0 or list_contains(_crime_types, r.crime_type))
)

select placed.*
from placed
where
    (
        _area_type = 'borough'
        or (_area_type = 'cluster' and placed.cluster = _area_code)
        or (_area_type = 'ward' and placed.ward_code = _area_code)
        or (_area_type = 'lsoa' and placed.lsoa21_code = _area_code)
    )
    and (
        _priority = ''
        or (
            -- the priority's measure types (an unmeasurable priority has none, so no records)
            list_contains(
                coalesce(
                    (
                        select list(pct.crime_type)
                        from priority_crime_types as pct
                        where pct.priority_id = _priority and pct.role = 'measure'
                    ),
                    []
                ),
                placed.crime_type
            )
            -- and its area rule, e.g. 'ward:High Street' for the safe town centre priority
            and coalesce(
                coalesce(placed.ward_name, '') = (
                    select replace(p.area_rule, 'ward:', '')
                    from priorities as p
                    where p.priority_id = _priority and p.area_rule <> ''
                ),
                true
            )
        )
    );

-- kent_records: every record of a Kent district (whole-force comparison), by months,
-- crime classes, crime types and forces (default Kent Police).
create or replace macro kent_records(_months, _classes, _crime_types, _forces := ['kent']) as table
select r.*
from records as r
inner join districts as d on r.district = d.district_name
where list_contains(_months, r.month)
    and (len(_forces) = 0 or list_contains(_forces, r.force))
    and list_contains(_classes, r.crime_class)
    and (len(_crime_types) = 0 or list_contains(_crime_types, r.crime_type));

create or replace macro forces_used(_forces := ['kent'], _scope := 'maidstone') as table
select force
from forces
where
    case
        when len(_forces) > 0 then list_contains(_forces, force)
        when _scope = 'kent' then records_kent > 0
        else records_maidstone > 0
    end;

create or replace macro months_present(_forces := ['kent'], _scope := 'maidstone') as table
select
    month,
    bool_and(is_present) as is_present
from months_loaded
where force in (select force from forces_used(_forces := _forces, _scope := _scope))
group by month
