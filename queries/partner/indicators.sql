-- Public partner queries (names partner.*): they read ONLY partner_public_rows($public_uploads), the store's
-- macro over the partner_indicators_public view and the public uploads export (path bound by dashboard.data).
-- Every block returns source_table, period_type, period_start, period_end (NULL = open-ended), note and
-- loaded_from. The restricted twins, with the same names, are in queries/restricted/indicators.sql.

-- name: catalogue
-- One row per partner indicator (published and public uploads only; never restricted rows): label, theme, unit, areas, periods and files.
with indicators as (
    -- published figures and public uploads, never restricted rows (macro in queries/build/partner.sql)
    select * from partner_public_rows($public_uploads)
),

final as (
    select
        indicator_id,
        any_value(indicator order by period_start) as indicator,
        any_value(theme order by period_start) as theme,
        any_value(unit order by period_start) as unit,
        count(*) as rows,
        count(*) filter (where is_restricted) as restricted_rows,
        string_agg(distinct area_type, ', ' order by area_type) as area_types,
        string_agg(distinct period_type, ', ' order by period_type) as period_types,
        min(period_start) as first_period_start,
        max(coalesce(period_end, period_start)) as last_period_end,
        string_agg(distinct loaded_from, ', ' order by loaded_from) as loaded_from
    from indicators
    group by indicator_id
)

select * from final order by theme, indicator_id;

-- name: by_theme
-- Every partner figure for one theme ($theme, e.g. 'safe_town_centre') (published and public uploads only; never restricted rows).
with indicators as (
    -- published figures and public uploads, never restricted rows (macro in queries/build/partner.sql)
    select * from partner_public_rows($public_uploads)
),

final as (
    select * from indicators
    where theme = $theme
)

select * from final order by indicator_id, area_type, area_name, period_start, period_end nulls last;

-- name: by_indicator
-- Every partner figure for one indicator ($indicator_id), all areas and periods, (published and public uploads only; never restricted rows).
with indicators as (
    -- published figures and public uploads, never restricted rows (macro in queries/build/partner.sql)
    select * from partner_public_rows($public_uploads)
),

final as (
    select * from indicators
    where indicator_id = $indicator_id
)

select * from final order by indicator_id, area_type, area_name, period_start, period_end nulls last;

-- name: monthly_series
-- Monthly figures for one indicator ($indicator_id), one row per area and month from its first to its last month; value NULL = no figure (a gap, never a zero); (published and public uploads only; never restricted rows).
with indicators as (
    -- published figures and public uploads, never restricted rows (macro in queries/build/partner.sql)
    select * from partner_public_rows($public_uploads)
),

series as (
    select * from indicators
    where indicator_id = $indicator_id and period_type = 'month'
),

labels as (
    select
        any_value(indicator order by period_start) as indicator,
        any_value(theme order by period_start) as theme,
        any_value(unit order by period_start) as unit
    from series
),

areas as (
    select area_type, area_code, area_name, min(period_start) as first_month, max(period_start) as last_month
    from series
    group by all
),

spine as (
    select
        area_type,
        area_code,
        area_name,
        unnest(generate_series(first_month, last_month, interval 1 month))::date as month
    from areas
),

final as (
    select
        $indicator_id as indicator_id,
        labels.indicator,
        labels.theme,
        spine.area_type,
        spine.area_code,
        spine.area_name,
        spine.month,
        series.value,
        labels.unit,
        series.period_type,
        series.period_start,
        series.period_end,
        series.source_table,
        series.note,
        series.is_restricted,
        series.loaded_from
    from spine
    cross join labels
    left join series
        on spine.area_type = series.area_type
        and spine.area_code is not distinct from series.area_code
        and spine.area_name = series.area_name
        and spine.month = series.period_start
)

select * from final order by area_type, area_name, month;

-- name: ward_values
-- One indicator's ward figures ($indicator_id; area_type ward_2022, the 26 pre-May-2024 wards) with the ward's name and 2022 cluster, (published and public uploads only; never restricted rows).
with indicators as (
    -- published figures and public uploads, never restricted rows (macro in queries/build/partner.sql)
    select * from partner_public_rows($public_uploads)
),

wards as (
    select ward_2022_code, ward_2022_name, cluster_2022 from wards_2022
),

final as (
    select
        indicators.*,
        wards.ward_2022_name,
        wards.cluster_2022
    from indicators
    left join wards on indicators.area_code = wards.ward_2022_code
    where indicators.indicator_id = $indicator_id and indicators.area_type = 'ward_2022'
)

select * from final order by period_start, period_end nulls last, ward_2022_name;

-- name: kent_district_rankings
-- One indicator's Kent and Medway district figures ($indicator_id; area_type kent_district, e.g. a VRU rank where 1 = highest), with the district name and a Maidstone flag, (published and public uploads only; never restricted rows).
with indicators as (
    -- published figures and public uploads, never restricted rows (macro in queries/build/partner.sql)
    select * from partner_public_rows($public_uploads)
),

districts as (
    select district_code, district_name, is_kent from districts
),

final as (
    select
        indicators.*,
        districts.district_name,
        districts.is_kent,
        indicators.area_code = 'E07000110' as is_maidstone
    from indicators
    left join districts on indicators.area_code = districts.district_code
    where indicators.indicator_id = $indicator_id and indicators.area_type = 'kent_district'
)

select * from final order by period_start, value, district_name;

-- name: maidstone_ranks
-- Maidstone's value in every Kent and Medway district ranking (unit 'rank', 1 = highest) with how many districts were ranked, (published and public uploads only; never restricted rows).
with indicators as (
    -- published figures and public uploads, never restricted rows (macro in queries/build/partner.sql)
    select * from partner_public_rows($public_uploads)
),

ranked as (
    select * from indicators
    where area_type = 'kent_district' and unit = 'rank'
),

counts as (
    select indicator_id, period_start, period_end, count(distinct area_code) as districts_ranked
    from ranked
    group by all
),

final as (
    select
        ranked.*,
        counts.districts_ranked
    from ranked
    inner join counts
        on ranked.indicator_id = counts.indicator_id
        and ranked.period_start = counts.period_start
        and ranked.period_end is not distinct from counts.period_end
    where ranked.area_code = 'E07000110'
)

select * from final order by indicator_id, area_type, area_name, period_start, period_end nulls last
