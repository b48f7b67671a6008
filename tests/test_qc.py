"""QC indicators against an independent pandas computation on the Lincoln County call log."""

from pathlib import Path

import pandas as pd
import pytest

from cli.main import main
from planning.qc import CARDIAC_GROUP, indicators, read_calls
from rescuecircle.errors import InvalidInput

LOG = "2025-02-13_emerg_data_date_is_now_year_new_time_in_seconds_columns_optimized.csv"


@pytest.fixture(scope="module")
def lincoln(shared_data: Path) -> Path:
    return shared_data / "lincoln-county-calls" / LOG


def expected(frame: pd.DataFrame) -> dict[str, float]:
    """Median, p90 and shares within 8/12 minutes, written independently with pandas."""
    response = frame["arrive_time_in_seconds"] - frame["dispatch_time_in_seconds"]
    response = response.mask(response < 0, response + 24 * 3600)
    return {"median": response.quantile(0.5), "p90": response.quantile(0.9),
            "le8": (response <= 480).mean(), "le12": (response <= 720).mean(),
            "n": len(response)}


def check(got, want: dict[str, float]) -> None:
    assert got.responses == want["n"]
    assert got.response_median_s == pytest.approx(want["median"])
    assert got.response_p90_s == pytest.approx(want["p90"])
    assert got.response_within_8min == pytest.approx(want["le8"])
    assert got.response_within_12min == pytest.approx(want["le12"])


@pytest.mark.realdata
def test_lincoln_indicators_agree_with_pandas(lincoln: Path):
    frame = pd.read_csv(lincoln, dtype={"call_type": str})
    frame["month"] = frame["incident_date"].str.slice(0, 7)
    cardiac = frame["call_type"].str.strip().str.match(r"9[A-Z]")
    result = indicators(read_calls(lincoln))
    overall = {r.group: r for r in result.overall}
    check(overall["all"], expected(frame))
    check(overall[CARDIAC_GROUP], expected(frame[cardiac]))
    check(overall["other"], expected(frame[~cardiac]))
    assert overall[CARDIAC_GROUP].calls == 350  # 9E1, 9B1A, 9O1Y, ...: not 29D2P
    # No call-received or answered times in this log: those indicators are absent, not 0.
    assert overall["all"].answered_within_10s is None
    assert overall["all"].dispatched_within_60s is None
    by_month = {(r.group, r.period): r for r in result.by_month}
    for month in ("2010-01", "2015-07", "2020-12"):
        check(by_month[("all", month)], expected(frame[frame["month"] == month]))
    months_with_arrests = frame[cardiac]["month"].unique()
    assert len(months_with_arrests) > 50
    for month in months_with_arrests[:: 10]:
        check(by_month[(CARDIAC_GROUP, month)],
              expected(frame[cardiac & (frame["month"] == month)]))


def test_answer_and_dispatch_shares(tmp_path: Path):
    log = tmp_path / "calls.csv"
    log.write_text(
        "incident_date,call_type,received_time_in_seconds,answered_time_in_seconds,"
        "dispatch_time_in_seconds,arrive_time_in_seconds,district\n"
        "2026-01-03,9E1,100,105,150,400,A\n"      # answered in 5 s, dispatched in 45 s
        "2026-01-04,26A1,100,115,200,900,A\n"     # 15 s, 85 s
        "2026-02-01,17B1,86300,86308,86350,200,B\n"  # 8 s, 42 s; arrives after midnight
        "2026-02-02,29D2P,100,,190,,B\n",  # no answer time: from received; no arrival
        encoding="utf-8")
    result = indicators(read_calls(log))
    total = result.overall[0]
    assert total.answered_within_10s == pytest.approx(2 / 3)
    assert total.dispatched_within_60s == pytest.approx(2 / 4)
    assert total.responses == 3
    assert total.response_median_s == pytest.approx(250)  # 250, 700, 250 (86350 -> 200 + 1 day)
    assert result.overall[1].calls == 1  # 9E1 only
    assert {r.group for r in result.by_district} >= {"all / A", "all / B"}


def test_a_log_without_times_is_refused(tmp_path: Path):
    log = tmp_path / "calls.csv"
    log.write_text("incident_date,call_type\n2026-01-01,9E1\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="dispatch_time_in_seconds"):
        read_calls(log)


@pytest.mark.realdata
def test_cli_writes_the_report(lincoln: Path, tmp_path: Path):
    out = tmp_path / "qc.html"
    main(["qc", "--calls", str(lincoln), "-o", str(out)])
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert CARDIAC_GROUP in page and "2020-12" in page
