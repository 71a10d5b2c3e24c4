"""The partner area: sign-in config and CLI, uploads of record surviving rebuilds, and the rule that
restricted rows are never reachable in public mode (query layer, pages, URLs).

Expected values come from the rows these tests upload (a distinctive restricted value 987654.321
and a public one 123456.789) or from direct SQL on the same store.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import stat
import sys
from pathlib import Path

import bcrypt
import duckdb
import pandas as pd
import pytest
import yaml
from streamlit.testing.v1.element_tree import Dataframe

import queries
from smp_data import partner, uploads
from smp_data.auth_config import AuthConfigError, load_auth_config
from smp_data.build import build_store
from smp_data.partner import LONG_COLUMNS
from smp_data.settings import REPO_ROOT
from tests.apptest_helpers import open_page, rerun, shown_tables, sql, texts

POLICE_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "police_uk"
USER, PASSWORD, NAME = "tester", "correct horse battery", "Test Partner"
CANARY = 987654.321  # restricted: must never appear in public mode
PUBLIC_VALUE = 123456.789  # uploaded as public: must appear in public partner queries
CANARY_TEXTS = ("987654", "987,654", "Restricted canary")
HIGH_STREET_2022 = "E05004996"


# ------------------------------------------------------------------------------ helpers


def _csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=LONG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _row(**over) -> dict:
    base = dict(indicator_id="needle_finds",
                indicator="Needle finds (council waste team removals plus external needle bin contents)",
                theme="substance_misuse", area_type="borough", area_code="E07000110", area_name="Maidstone",
                period_type="month", period_start="2024-01-01", period_end="2024-01-31", value=str(CANARY),
                unit="count", source_table="test upload", note="")
    return {**base, **over}


RESTRICTED_ROWS = [
    _row(),  # a new month of an indicator the published files have (needle finds)
    _row(indicator_id="tc_all_crime", indicator="Reported All Crime (Jun to Dec)", theme="safe_town_centre",
         area_type="ward_2022", area_code=HIGH_STREET_2022, area_name="High Street", period_type="custom",
         period_start="2024-06-01", period_end="2024-12-31", source_table="para 64 town centre table"),
    _row(indicator_id="restricted_canary", indicator="Restricted canary figure", theme="safe_town_centre",
         period_type="calendar_year", period_start="2024-01-01", period_end="2024-12-31"),
]
PUBLIC_ROWS = [_row(period_start="2024-02-01", period_end="2024-02-29", value=str(PUBLIC_VALUE))]


def _validate(store: Path, content: bytes, name: str, uploads_root: Path) -> partner.PartnerValidation:
    con = duckdb.connect(str(store), read_only=True)
    try:
        wards, districts = partner.reference_codes(con)
        known = partner.existing_keys(con)
    finally:
        con.close()
    known.update(uploads.upload_keys(uploads_root))
    return partner.validate_partner_csv(content, name, wards, districts, existing_keys=known)


def _write_config(path: Path) -> None:
    from smp_data.auth_config import add_user

    add_user(path, USER, NAME, "tester@example.org", PASSWORD)


def _everything_rendered(at) -> str:
    """Every element's content: texts, metrics, protos (chart specs, captions...) and dataframes' data."""
    parts = [texts(at)]
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if isinstance(node, Dataframe):
            parts.append(node.value.to_csv())
    parts += [t.to_csv() for t in shown_tables(at)]  # static tables as read (their HTML escapes & < > ")
    return "\n".join(parts)


def _shows_canary(text: str) -> list[str]:
    return [c for c in CANARY_TEXTS if c in text]


def _sign_in(store: Path, password: str = PASSWORD):
    at = open_page("pages/partner_sign_in.py", store)
    assert not at.exception
    next(t for t in at.text_input if t.label == "Username").input(USER)
    next(t for t in at.text_input if t.label == "Password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    return rerun(at, store)


# ------------------------------------------------------------------------------ config and CLI


def test_cli_add_partner_user_writes_a_bcrypt_hash_never_the_password(tmp_path, monkeypatch, capsys):
    from smp_data.cli import main

    config = tmp_path / "conf" / "users.yaml"
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["add-partner-user", "--config", str(config), "--username", USER, "--name", NAME,
                 "--email", "t@example.org", "--password-stdin"]) == 0
    text = config.read_text()
    assert PASSWORD not in text
    stored = yaml.safe_load(text)["credentials"]["usernames"][USER]["password"]
    assert re.fullmatch(r"\$2[aby]\$\d\d\$.{53}", stored)
    assert bcrypt.checkpw(PASSWORD.encode(), stored.encode())
    assert not bcrypt.checkpw(b"another password", stored.encode())
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    cfg = load_auth_config(config)
    assert cfg.cookie_enabled and len(cfg.cookie_key) >= 32
    # an existing username needs --replace
    monkeypatch.setattr(sys, "stdin", io.StringIO("x" * 12 + "\n"))
    assert main(["add-partner-user", "--config", str(config), "--username", USER, "--name", NAME,
                 "--email", "t@example.org", "--password-stdin"]) == 2
    assert "already exists" in capsys.readouterr().err


def test_a_plain_text_password_in_the_config_is_refused(tmp_path):
    config = tmp_path / "users.yaml"
    config.write_text(yaml.safe_dump({"credentials": {"usernames": {"bob": {"name": "B", "password": "hunter22"}}},
                                      "cookie": {"name": "c", "key": "k" * 40, "expiry_days": 1}}))
    with pytest.raises(AuthConfigError, match="not a bcrypt hash"):
        load_auth_config(config)


def test_the_example_config_holds_a_real_bcrypt_hash_of_the_readme_password():
    readme = (REPO_ROOT / "README.md").read_text()
    password = re.search(r"`partner\.demo`, whose\s+password is `([^`]+)`", readme).group(1)
    cfg = load_auth_config(REPO_ROOT / "config" / "partner_users.example.yaml")
    assert bcrypt.checkpw(password.encode(), cfg.users["partner.demo"]["password"].encode())
    assert password not in (REPO_ROOT / "config" / "partner_users.example.yaml").read_text()
    assert not cfg.cookie_enabled  # its cookie key is public


# ------------------------------------------------------------------------------ uploads survive rebuilds


def test_uploads_are_copied_into_the_store_by_every_full_build(tmp_path, boundaries_dir, partner_dir):
    up = tmp_path / "uploads"
    db = tmp_path / "store.duckdb"
    build_store(str(POLICE_FIXTURE), db, boundaries_dir, partner_root=partner_dir, uploads_root=up,
                progress=lambda _l: None)
    v = _validate(db, _csv(RESTRICTED_ROWS), "restricted.csv", up)
    assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 3, 0)
    uploads.record_upload(v, USER, is_public=False, root=up)
    uploads.record_upload(_validate(db, _csv(PUBLIC_ROWS), "public.csv", up), USER, is_public=True, root=up)

    from smp_data.cli import main

    for _ in range(2):  # a full rebuild, twice: the uploads are there once each time
        assert main(["build", "--source", str(POLICE_FIXTURE), "--db", str(db), "--boundaries", str(boundaries_dir),
                     "--partner", str(partner_dir), "--uploads", str(up), "--quiet"]) == 0
        con = duckdb.connect(str(db), read_only=True)
        try:
            got = con.execute("select value, is_restricted, loaded_from from partner_indicators "
                              "where source_table in ('test upload', 'para 64 town centre table') "
                              "and period_start >= '2024-01-01' order by value, period_start").fetchall()
            public = con.execute("select value from partner_indicators_public where value in (?, ?)",
                                 [CANARY, PUBLIC_VALUE]).fetchall()
            who = con.execute("select distinct uploaded_by from partner_uploads").fetchall()
        finally:
            con.close()
        assert got == [(PUBLIC_VALUE, False, "public.csv")] + [(CANARY, True, "restricted.csv")] * 3
        assert public == [(PUBLIC_VALUE,)]
        assert who == [(USER,)]


def test_public_queries_do_not_double_count_an_upload_the_build_copied(tmp_path, boundaries_dir, partner_dir):
    up = tmp_path / "uploads"
    db = tmp_path / "store.duckdb"
    build_store(str(POLICE_FIXTURE), db, boundaries_dir, partner_root=partner_dir, progress=lambda _l: None)
    uploads.record_upload(_validate(db, _csv(PUBLIC_ROWS), "public.csv", up), USER, is_public=True, root=up)
    uploads.record_upload(_validate(db, _csv(RESTRICTED_ROWS), "r.csv", up), USER, is_public=False, root=up)
    public_export, all_export = uploads.export_paths(up)
    for built_with_uploads in (False, True):
        if built_with_uploads:
            build_store(str(POLICE_FIXTURE), db, boundaries_dir, partner_root=partner_dir, uploads_root=up,
                        progress=lambda _l: None)
        con = duckdb.connect(str(db), read_only=True)
        try:
            pub = queries.run_df(con, "partner.by_indicator", indicator_id="needle_finds",
                                 public_uploads=str(public_export))
            res = queries.run_df(con, "restricted.by_indicator", indicator_id="needle_finds",
                                 all_uploads=str(all_export))
        finally:
            con.close()
        assert (pub["value"] == PUBLIC_VALUE).sum() == 1
        assert (pub["value"] == CANARY).sum() == 0 and not pub["is_restricted"].any()
        assert (res["value"] == CANARY).sum() == 1 and (res["value"] == PUBLIC_VALUE).sum() == 1
        assert res.loc[res["value"] == CANARY, "uploaded_by"].tolist() == [USER]


def test_exports_hold_public_rows_only_in_the_public_file(tmp_path, boundaries_dir):
    up = tmp_path / "uploads"
    db = tmp_path / "store.duckdb"
    build_store(str(POLICE_FIXTURE), db, boundaries_dir, progress=lambda _l: None)
    when = dt.datetime(2026, 1, 2, 3, 4, 5)
    r = uploads.record_upload(_validate(db, _csv(RESTRICTED_ROWS), "r.csv", up), USER, False, up, uploaded_at=when)
    assert r.is_restricted and r.rows == 3 and r.uploaded_at == when
    public_export, all_export = uploads.export_paths(up)
    assert pd.read_parquet(public_export).empty
    everything = pd.read_parquet(all_export)
    assert everything["is_restricted"].all() and set(everything["uploaded_by"]) == {USER}
    assert "uploaded_by" not in pd.read_parquet(public_export).columns  # who uploaded is not public
    with pytest.raises(partner.PartnerUploadError):  # the same rows again: refused, nothing written
        uploads.record_upload(partner.validate_partner_csv(_csv(RESTRICTED_ROWS), "again.csv"), USER, False, up)
    assert len(pd.read_parquet(all_export)) == 3


# ------------------------------------------------------------------------------ the query layer


def test_no_public_sql_mentions_restricted_sources():
    """Only queries/restricted/ may read uploads (restricted or not) or the non-public partner view.

    queries/build/ is exempt: build-time DDL that dashboard.data.query refuses to run.
    """
    root = REPO_ROOT / "queries"
    forbidden = re.compile(r"partner_uploads|all_uploads|partner_all_rows|partner_indicators(?!_public)|"
                           r"partner_published")
    checked = 0
    for path in root.rglob("*.sql"):
        rel = path.relative_to(root)
        if rel.parts[0] in ("restricted", "build"):
            continue
        checked += 1
        hits = forbidden.findall(path.read_text())
        assert not hits, f"{rel} mentions {sorted(set(hits))}: move that query to queries/restricted/"
    assert checked >= 5
    for name, q in queries.load_queries().items():
        if name.startswith("partner."):
            assert "partner_public_rows($public_uploads)" in q.sql, name
        if forbidden.search(q.sql):
            assert name.startswith(("restricted.", "build.")), name


def test_pages_other_than_the_partner_pages_never_name_a_restricted_query():
    for page in (REPO_ROOT / "pages").glob("*.py"):
        if page.name in ("partner_data.py", "partner_upload.py"):
            continue
        assert not re.search(r"[\"']restricted\.[a-z_]+[\"']", page.read_text()), page.name


def test_restricted_queries_are_refused_without_a_partner_session(tmp_path, monkeypatch, tiny_store):
    import dashboard.data as data
    from dashboard import partner_area

    monkeypatch.setenv("SMP_DB", str(tiny_store))
    monkeypatch.setenv("SMP_UPLOADS", str(tmp_path / "uploads"))
    monkeypatch.setenv("SMP_AUTH_CONFIG", str(tmp_path / "none.yaml"))
    for name in ("restricted.by_theme", "restricted.uploads", "restricted.all_indicators"):
        params = {"theme": "asb"} if name.endswith("by_theme") else {}
        with pytest.raises(data.PartnerAccessRefused) as err:
            data.query(name, **params)
        assert isinstance(err.value, PermissionError)
    with pytest.raises(data.PartnerAccessRefused):  # the export path is bound by code, never by a caller
        data.query("partner.by_theme", theme="asb", public_uploads=str(tmp_path / "uploads" / "all_uploads.parquet"))
    with pytest.raises(data.PartnerAccessRefused):  # build blocks read partner_uploads: never from the app
        data.query("build.partner_keys")
    with pytest.raises(data.PartnerAccessRefused):
        partner_area.validate_upload(_csv(PUBLIC_ROWS), "x.csv")


# ------------------------------------------------------------------------------ integration: the app


@pytest.fixture(scope="module")
def canary(full_store, tmp_path_factory):
    """The full store, a sign-in config and an uploads folder holding a restricted and a public upload."""
    root = tmp_path_factory.mktemp("partner_area")
    up, config = root / "uploads", root / "auth" / "users.yaml"
    _write_config(config)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SMP_UPLOADS", str(up))
        mp.setenv("SMP_AUTH_CONFIG", str(config))
        mp.setenv("SMP_DB", str(full_store))
        v = _validate(full_store, _csv(RESTRICTED_ROWS), "partner_restricted.csv", up)
        assert (v.rows_read, v.rows_loaded, v.rows_rejected) == (3, 3, 0)
        uploads.record_upload(v, USER, is_public=False, root=up)
        uploads.record_upload(_validate(full_store, _csv(PUBLIC_ROWS), "partner_public.csv", up), USER,
                              is_public=True, root=up)
        yield full_store


@pytest.mark.integration
def test_round_trip_restricted_upload_is_in_partner_mode_only(canary, monkeypatch):
    import dashboard.auth
    import dashboard.data as data

    # public mode: no public partner query returns the restricted rows; the public upload is there
    seen_public = False
    for name, q in queries.load_queries().items():
        if not name.startswith("partner."):
            continue
        for indicator in ("needle_finds", "tc_all_crime", "restricted_canary"):
            params = {k: v for k, v in {"theme": "safe_town_centre", "indicator_id": indicator}.items()
                      if k in q.params}
            df = data.query(name, **params)
            assert not (df.get("value", pd.Series(dtype=float)) == CANARY).any(), (name, indicator)
            assert not _shows_canary(df.to_csv()), (name, indicator)
            if "is_restricted" in df:
                assert not df["is_restricted"].fillna(False).any(), name
            seen_public |= bool((df.get("value", pd.Series(dtype=float)) == PUBLIC_VALUE).any())
    assert seen_public
    # partner mode: the restricted twins include them, with who and when
    monkeypatch.setattr(dashboard.auth, "current_partner", lambda: dashboard.auth.Partner(USER, NAME, "t@x"))
    res = data.query("restricted.by_indicator", indicator_id="restricted_canary")
    assert res[["value", "is_restricted", "uploaded_by"]].values.tolist() == [[CANARY, True, USER]]
    assert res["uploaded_at"].notna().all()
    ups = data.query("restricted.uploads")
    assert sorted(zip(ups["loaded_from"], ups["rows"], ups["restricted_rows"])) == [
        ("partner_public.csv", 1, 0), ("partner_restricted.csv", 3, 3)]


@pytest.mark.integration
def test_every_page_in_public_mode_shows_no_restricted_figure(canary):
    from dashboard.layout import PAGE_FILES

    sections = [i for (i,) in sql(canary, "select priority_id from priorities order by priority_id")]
    runs = [(page, None) for page in PAGE_FILES if page != "pages/priorities.py"]
    runs += [("pages/priorities.py", {"view": s}) for s in sections]  # lazy tabs: each section by its link
    for page, params in runs:
        at = open_page(page, canary, query_params=params)
        assert not at.exception, (page, params)
        shown = _everything_rendered(at)
        assert not _shows_canary(shown), f"{page} {params or ''} shows a restricted figure: {_shows_canary(shown)}"
        if page.startswith("pages/partner_") and page != "pages/partner_sign_in.py":
            assert "signed-in partners only" in texts(at)
        if params == {"view": "substance_misuse"}:
            # the same upload's public needle-finds month is shown there: the check above would see a leak
            assert any(v in shown for v in ("123457", "123,457", "123456.789"))


@pytest.mark.integration
@pytest.mark.parametrize("page", ["pages/partner_upload.py", "pages/partner_data.py"])
@pytest.mark.parametrize("forged", [{}, {"mode": "partner"}, {"restricted": "1"}, {"user": "admin"},
                                    {"mode": "partner", "restricted": "1", "user": USER, "username": USER}])
def test_a_partner_page_by_url_without_a_session_is_refused(canary, page, forged):
    at = open_page(page, canary, query_params=forged)
    assert not at.exception
    assert "signed-in partners only" in texts(at)
    assert not at.dataframe and not at.get("file_uploader") and not at.metric
    assert not _shows_canary(_everything_rendered(at))


@pytest.mark.integration
def test_forged_query_parameters_do_not_reach_restricted_rows_on_public_pages(canary):
    at = open_page("pages/overview.py", canary, query_params={"mode": "partner", "restricted": "1", "user": "admin"})
    assert not at.exception
    assert not _shows_canary(_everything_rendered(at))
    assert "Public mode" in _everything_rendered(at)


@pytest.mark.integration
def test_a_forged_library_session_without_the_sign_in_marker_is_not_a_partner(canary):
    at = open_page("pages/partner_sign_in.py", canary)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = USER
    at.switch_page("pages/partner_data.py")
    rerun(at, canary)
    assert "signed-in partners only" in texts(at)
    assert not _shows_canary(_everything_rendered(at))


@pytest.mark.integration
def test_sign_in_form_then_partner_pages_then_sign_out(canary):
    wrong = _sign_in(canary, password="not the password")
    assert not wrong.exception
    assert "not correct" in texts(wrong) and "smp_partner_user" not in wrong.session_state

    at = _sign_in(canary)
    assert not at.exception
    assert f"Signed in as **{NAME}**" in texts(at)
    at.switch_page("pages/partner_upload.py")
    rerun(at, canary)
    assert not at.exception and "signed-in partners only" not in texts(at)
    assert at.get("file_uploader")

    at.switch_page("pages/partner_data.py")
    rerun(at, canary)
    assert not at.exception
    uploads_df, figures = at.dataframe[0].value, at.dataframe[1].value
    assert set(uploads_df["Uploaded by"]) == {USER}
    assert "🔒 Restricted" in set(uploads_df["Access"])
    canary_rows = figures[figures["Value"] == CANARY]
    assert len(canary_rows) == 3 and set(canary_rows["Access"]) == {"🔒 Restricted"}
    assert set(canary_rows["Uploaded by"]) == {USER}

    at.switch_page("pages/partner_sign_in.py")
    rerun(at, canary)
    next(b for b in at.button if b.label == "Sign out").click()
    rerun(at, canary)
    assert not at.exception and "smp_partner_user" not in at.session_state
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # the sign-in form again
    at.switch_page("pages/partner_data.py")
    rerun(at, canary)
    assert "signed-in partners only" in texts(at) and not at.dataframe


@pytest.mark.integration
def test_sign_in_page_without_a_config_says_it_is_not_configured(full_store, tmp_path, monkeypatch):
    monkeypatch.setenv("SMP_AUTH_CONFIG", str(tmp_path / "missing.yaml"))
    monkeypatch.setenv("SMP_UPLOADS", str(tmp_path / "uploads"))
    at = open_page("pages/partner_sign_in.py", full_store)
    assert not at.exception
    assert "not configured" in texts(at) and "add-partner-user" in texts(at)
    assert not at.text_input
