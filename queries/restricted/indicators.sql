-- RESTRICTED partner queries (names restricted.*): these include uploads marked restricted, and
-- dashboard.data.query refuses them unless the session is signed in as a partner. Only files in this folder
-- may read partner_uploads, the all-uploads export or the non-public partner_indicators view; each block starts
-- from partner_all_rows($all_uploads) (macro in queries/build/partner.sql).
-- Same names and columns as queries/partner/indicators.sql, plus upload_id, uploaded_by, uploaded_at.

-- name: catalogue
-- One row per partner indicator including RESTRICTED uploads (signed-in partners only): label, theme, unit, areas, periods and files.
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
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
-- Every partner figure for one theme ($theme, e.g. 'safe_town_centre') including RESTRICTED uploads (signed-in partners only).
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
),

final as (
    select * from indicators
    where theme = $theme
)

select * from final order by indicator_id, area_type, area_name, period_start, period_end nulls last;

-- name: by_indicator
-- Every partner figure for one indicator ($indicator_id), all areas and periods, including RESTRICTED uploads (signed-in partners only).
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
),

final as (
    select * from indicators
    where indicator_id = $indicator_id
)

select * from final order by indicator_id, area_type, area_name, period_start, period_end nulls last;

-- name: monthly_series
-- Monthly figures for one indicator ($indicator_id), one row per area and month from its first to its last month; value NULL = no figure (a gap, never a zero); including RESTRICTED uploads (signed-in partners only).
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
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
        series.loaded_from,
        series.upload_id,
        series.uploaded_by,
        series.uploaded_at
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
-- One indicator's ward figures ($indicator_id; area_type ward_2022, the 26 pre-May-2024 wards) with the ward's name and 2022 cluster, including RESTRICTED uploads (signed-in partners only).
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
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
-- One indicator's Kent and Medway district figures ($indicator_id; area_type kent_district, e.g. a VRU rank where 1 = highest), with the district name and a Maidstone flag, including RESTRICTED uploads (signed-in partners only).
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
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
-- Maidstone's value in every Kent and Medway district ranking (unit 'rank', 1 = highest) with how many districts were ranked, including RESTRICTED uploads (signed-in partners only).
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
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

select * from final order by indicator_id, area_type, area_name, period_start, period_end nulls last;

-- name: all_indicators
-- Every partner figure, published and uploaded (restricted included), with who uploaded it and when.
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
),

final as (
    select * from indicators
)

select * from final order by indicator_id, area_type, area_name, period_start, period_end nulls last;

-- name: uploads
-- One row per upload (restricted included): file, who, when, rows, and whether the rows are restricted.
with indicators as (
    -- published figures and every upload, restricted ones included (macro in queries/build/partner.sql)
    select * from partner_all_rows($all_uploads)
),

final as (
    select
        upload_id,
        any_value(loaded_from) as loaded_from,
        any_value(uploaded_by) as uploaded_by,
        any_value(uploaded_at) as uploaded_at,
        count(*) as rows,
        count(*) filter (where is_restricted) as restricted_rows,
        count(distinct indicator_id) as indicators,
        string_agg(distinct theme, ', ' order by theme) as themes
    from indicators
    where upload_id is not null
    group by upload_id
)

select * from final order by uploaded_at desc, upload_id
