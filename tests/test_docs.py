"""Docs-vs-code: the README's commands are the ones CI runs, pages are registered once,
settings are documented and requirements are pinned."""

import re

from smp_data.settings import REPO_ROOT, SETTINGS

README = (REPO_ROOT / "README.md").read_text()


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_readme_starts_with_the_two_fresh_machine_commands():
    first, second = _bash_blocks()[:2]
    run_cmd = [line for line in first.splitlines() if line and not line.startswith("#")]
    test_cmd = [line for line in second.splitlines() if line and not line.startswith("#")]
    assert len(run_cmd) == 1 and "streamlit run app.py" in run_cmd[0] and "smp_data build --if-missing" in run_cmd[0]
    assert len(test_cmd) == 1 and "pytest" in test_cmd[0]
    assert README.index(first) < README.index("## ")  # before any section


def test_ci_runs_the_readme_test_command_exactly():
    test_cmd = [line for line in _bash_blocks()[1].splitlines() if line and not line.startswith("#")][0]
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci.splitlines()
    assert "set -euo pipefail" in ci and "chromium" in ci


def test_every_page_file_is_registered_once_and_exists():
    from dashboard.layout import PAGE_FILES

    on_disk = sorted(p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "pages").glob("*.py"))
    assert sorted(PAGE_FILES) == on_disk
    assert len(set(PAGE_FILES)) == len(PAGE_FILES)


def test_every_setting_is_documented_in_the_readme():
    for s in SETTINGS.values():
        assert s.env in README, s.env


def test_requirements_are_pinned():
    for name in ("requirements.txt", "requirements-test.txt"):
        for line in (REPO_ROOT / name).read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r")):
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.]*", line), f"{name}: {line!r} not pinned"


def test_public_contract_names_are_documented():
    for name in ("crime_records", "months_loaded", "rejects", "partner_indicators", "partner_rejects"):
        assert f"**`{name}`**" in README
