-- name: batch_views
-- The set-based reader's views over one batch of files (smp_data/read.py). _lines: one row per physical
-- line of the files read line by line. _cand: the candidate rows as 12 unstripped fields: every row of a
-- file read by DuckDB's CSV reader (`ascii` false for a row of a UTF-8 file holding non-ASCII text:
-- Python's strip() trims Unicode spaces that _strip keeps, so such rows are left to Python), and each
-- common line (ASCII, no quote or control character, at most 4096 characters, 12 comma-separated
-- fields) of the files read line by line; any other line is left to Python. _checked: the rows with
-- their stripped fields and `ok`, true when the row passes every check of
-- smp_data.ingest.validate_row (same month as the file, a known crime type, both or no coordinates as
-- plain decimals inside UK_BOUNDS, an ONS LSOA code or none, no field longer than 4096 characters).
-- The literals 4096 (read.FAST_LINE_CHARS) and the UK box (ingest.UK_BOUNDS) are checked by
-- tests/test_read.py. _strip(s) trims spaces only when there are any (trim() copies every string).
create or replace temp macro _strip(s) as
    case when starts_with(s, ' ') or ends_with(s, ' ') then trim(s) else s end;

create or replace temp view _lines as
select
    s.file_id,
    (r.rowid - s.first_row + 1)::integer as line_no,
    r.line
from _raw as r
inner join _starts as s on r.file_index + 1 = s.file_id and not s.csv_read
union all
select
    file_id,
    line_no,
    line
from _lines_py;

create or replace temp view _cand as
select
    s.file_id,
    (f.rowid - s.first_row + 2)::integer as line_no,
    f.c0,
    f.c1,
    f.c2,
    f.c3,
    f.c4,
    f.c5,
    f.c6,
    f.c7,
    f.c8,
    f.c9,
    f.c10,
    f.c11,
    case
        when s.ascii then true
        else strlen(f.c0) + strlen(f.c1) + strlen(f.c2) + strlen(f.c3) + strlen(f.c4) + strlen(f.c5)
        + strlen(f.c6) + strlen(f.c7) + strlen(f.c8) + strlen(f.c9) + strlen(f.c10) + strlen(f.c11)
        = length(f.c0) + length(f.c1) + length(f.c2) + length(f.c3) + length(f.c4) + length(f.c5)
        + length(f.c6) + length(f.c7) + length(f.c8) + length(f.c9) + length(f.c10) + length(f.c11)
    end as ascii
from _fields as f
inner join _starts as s on f.file_index + 1 = s.file_id and s.csv_read
union all
select
    file_id,
    line_no,
    v[1] as c0,
    v[2] as c1,
    v[3] as c2,
    v[4] as c3,
    v[5] as c4,
    v[6] as c5,
    v[7] as c6,
    v[8] as c7,
    v[9] as c8,
    v[10] as c9,
    v[11] as c10,
    v[12] as c11,
    true as ascii
from (
    select
        file_id,
        line_no,
        string_split(line, ',') as v
    from _lines
    where
        line_no > 1
        and line is not null
        and strlen(line) = length(line)
        and length(line) <= 4096
        and not contains(line, '"')
        and not (
            contains(line, chr(9)) or contains(line, chr(11)) or contains(line, chr(12))
            or contains(line, chr(28)) or contains(line, chr(29)) or contains(line, chr(30))
            or contains(line, chr(31))
        )
)
where len(v) = 12;

create or replace temp view _checked as
with t as (
    select
        c.*,
        f.source_file,
        f.force,
        f.month as file_month,
        f.month_date,
        _strip(c.c0) as crime_id,
        _strip(c.c1) as month,
        _strip(c.c2) as reported_by,
        _strip(c.c3) as falls_within,
        _strip(c.c4) as longitude,
        _strip(c.c5) as latitude,
        _strip(c.c6) as location,
        _strip(c.c7) as lsoa_code,
        _strip(c.c8) as lsoa_name,
        _strip(c.c9) as crime_type,
        _strip(c.c10) as last_outcome,
        _strip(c.c11) as context
    from _cand as c
    inner join _files as f on c.file_id = f.file_id
),

typed as (
    select
        t.*,
        try_cast(nullif(t.longitude, '') as double) as lon,
        try_cast(nullif(t.latitude, '') as double) as lat
    from t
)

select
    typed.*,
    cc.crime_class,
    coalesce(
        typed.ascii
        and typed.month = typed.file_month
        and cc.crime_class is not null
        and greatest(
                strlen(typed.c0),
                strlen(typed.c1),
                strlen(typed.c2),
                strlen(typed.c3),
                strlen(typed.c4),
                strlen(typed.c5),
                strlen(typed.c6),
                strlen(typed.c7),
                strlen(typed.c8),
                strlen(typed.c9),
                strlen(typed.c10),
                strlen(typed.c11)
            ) <= 4096
        and (
            (typed.longitude = '' and typed.latitude = '')
            or (
                regexp_full_match(typed.longitude, '-?[0-9]{1,3}(\.[0-9]{1,15})?')
                and regexp_full_match(typed.latitude, '-?[0-9]{1,3}(\.[0-9]{1,15})?')
                and typed.lon between -8.7 and 1.8
                and typed.lat between 49.8 and 60.9
            )
        )
        and (typed.lsoa_code = '' or regexp_full_match(typed.lsoa_code, '[EW]0[12][0-9]{6}')),
        false
    ) as ok
from typed
left join crime_categories as cc on typed.crime_type = cc.crime_type;

-- name: lsoa_names
-- The distinct LSOA names of the batch: smp_data/read.py gives each its district (the name's prefix,
-- smp_data.enrich.district_from_lsoa_name) in _name_district.
select distinct _strip(c8) as lsoa_name
from _cand;

-- name: placement_candidates
-- Rows named in a Maidstone LSOA, or with no LSOA name: placed in bulk (smp_data.enrich.GeoContext.place)
-- before the insert. Rows that later fail validation are ignored.
select
    c.file_id,
    c.line_no,
    try_cast(_strip(c.c4) as double) as longitude,
    try_cast(_strip(c.c5) as double) as latitude,
    _strip(c.c7) as lsoa_code,
    n.district
from _cand as c
left join _name_district as n on _strip(c.c8) = n.lsoa_name
where n.district = $district or _strip(c.c8) = '';

-- name: insert_fast_rows
-- Every row of the batch that SQL accepts, typed, classified and placed, appended to records.
insert into records
select
    k.month_date as month,
    nullif(k.crime_id, '') as crime_id,
    nullif(k.reported_by, '') as reported_by,
    nullif(k.falls_within, '') as falls_within,
    k.lon as longitude,
    k.lat as latitude,
    nullif(k.location, '') as location,
    nullif(k.lsoa_code, '') as lsoa_code_published,
    nullif(k.lsoa_name, '') as lsoa_name_published,
    k.crime_type,
    k.crime_class,
    nullif(k.last_outcome, '') as last_outcome,
    nullif(k.context, '') as context,
    k.source_file,
    k.line_no as source_line,
    k.force,
    case when k.lsoa_name <> '' then n.district else p.district end as district,
    p.lsoa21_code,
    p.ward_2022_code,
    p.ward_2024_code,
    p.location_method
from _checked as k
left join _name_district as n on k.lsoa_name = n.lsoa_name
left join _placed as p on k.file_id = p.file_id and k.line_no = p.line_no
where k.ok;

-- name: rows_read
-- Rows read per file of the batch: every data row of a file read by the CSV reader, every non-blank line after the
-- header of the others.
select
    file_id,
    count(*) as rows_read
from (
    select s.file_id
    from _fields as f
    inner join _starts as s on f.file_index + 1 = s.file_id and s.csv_read
    union all
    select file_id
    from _lines
    where line_no > 1 and line is not null
)
group by file_id;

-- name: loaded_per_file
-- Records of the batch's files in records (after the fast insert: the rows SQL accepted), how many are in
-- Maidstone and in Kent and Medway districts, and the force's name as the file gives it ('Reported by' of
-- most rows, ties by name). The month range limits the scan to the batch's months.
with counted as (
    select
        f.file_id,
        r.reported_by,
        count(*) as records,
        count(*) filter (where r.district = 'Maidstone') as maidstone,
        count(*) filter (where r.district in (select d.district_name from districts as d)) as kent
    from records as r
    inner join _files as f on r.source_file = f.source_file
    where r.month between $first_month and $last_month
    group by f.file_id, r.reported_by
)

select
    file_id,
    sum(records)::bigint as records,
    sum(maidstone)::bigint as maidstone,
    sum(kent)::bigint as kent,
    arg_max(reported_by, (records, reported_by)) filter (where reported_by is not null) as force_name
from counted
group by file_id;

-- name: slow_field_rows
-- Rows of the files read by the CSV reader that SQL did not accept: their 12 unstripped fields, for
-- validate_row.
select
    k.file_id,
    k.line_no,
    k.c0, k.c1, k.c2, k.c3, k.c4, k.c5, k.c6, k.c7, k.c8, k.c9, k.c10, k.c11
from _checked as k
inner join _starts as s on k.file_id = s.file_id and s.csv_read
where list_contains($ids, k.file_id) and not k.ok
order by k.file_id, k.line_no;

-- name: slow_lines
-- Lines of the files read line by line that SQL did not accept (rejects, quoted or non-ASCII lines,
-- unusual values): decoded, parsed and validated one by one in Python.
select
    l.file_id,
    l.line_no,
    l.line
from _lines as l
anti join (
    select
        file_id,
        line_no
    from _checked
    where ok and list_contains($ids, file_id)
) as k on l.file_id = k.file_id and l.line_no = k.line_no
where list_contains($ids, l.file_id) and l.line_no > 1 and l.line is not null
order by l.file_id, l.line_no;
