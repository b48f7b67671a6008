"""docs/your-city.md, run as written (issue #14, item 12): every ``rescuecircle`` command of
the walkthrough, in order, on an empty database, and each shown output matches what the
command prints (durations, ids and the import time aside)."""

import pytest

from rescuecircle.paths import PROJECT_ROOT
from tests.conftest import app_settings
from tests.doc_runner import normalised, run, steps

WALKTHROUGH = PROJECT_ROOT / "docs" / "your-city.md"


@pytest.mark.realdata
def test_the_walkthrough_runs_as_written(make_database, shared_data, tmp_path, monkeypatch):
    engine = make_database("your_city")
    monkeypatch.setenv("RC_DATABASE_URL", app_settings(engine).database_url)
    monkeypatch.delenv("RC_TIMEZONE", raising=False)
    monkeypatch.chdir(tmp_path)
    commands = steps(WALKTHROUGH.read_text(encoding="utf-8"), tmp_path, shared_data)
    assert [step.argv[0] for step in commands][:2] == ["import", "status"]
    assert sum(step.expected is not None for step in commands) >= 10
    for step in commands:
        printed = run(step)
        if step.expected is not None:
            assert normalised(printed) == normalised(step.expected), step.argv
