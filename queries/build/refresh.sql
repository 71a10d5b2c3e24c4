-- name: create_month_changes
-- The change report of `python -m smp_data refresh`: one row per new or revised month it applied
-- (created by the first refresh; a full build starts a store without it).
create table if not exists month_changes (
    refreshed_at_utc timestamp not null,  -- when the refresh applied it
    archive varchar not null,             -- the data.police.uk archive it came from
    month date not null,                  -- the police.uk month
    force varchar not null,
    change varchar not null,              -- 'new' | 'revised'
    rows_before integer,                  -- rows loaded before (NULL for a new month)
    rows_after integer not null,          -- rows loaded now
    rows_added integer not null,          -- rows whose published fields are new (a new month: all)
    rows_removed integer not null,        -- rows no longer published
    outcomes_revised integer not null,    -- crimes (by Crime ID) whose last outcome changed
    rejected_before integer,              -- rows rejected by validation before / now
    rejected_after integer not null
);
