"""roi.yaml and the input tables: every validation error names its file, row(s) and column; the join report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from roi.config import InvalidConfig, build_config, read_config
from roi.data import OutcomeDataError, ResponseDataError, read_analysis_data
from surveys.errors import CxroiError

RESPONSES = """response_id,customer_id,submitted_at,status,q1,q2,comment
r1,a,2024-01-01T10:00:00Z,complete,3,5,fine
r2,b,2024-01-02T10:00:00Z,complete,4,,slow
r3,a,2024-02-01T10:00:00Z,complete,5,2,
r4,,2024-02-01T10:00:00Z,complete,5,2,
r5,zz,2024-02-01T10:00:00Z,complete,1,2,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(tmp_path: Path, outcomes: str, config: dict | None = None, responses: str = RESPONSES):
    return read_analysis_data(write(tmp_path, "responses.csv", responses), write(tmp_path, "outcomes.csv", outcomes),
                              config=build_config(config or {}))


# --- roi.yaml ---------------------------------------------------------------------------------------------


def test_config_defaults_when_no_file() -> None:
    config = read_config(None)
    assert config.controls == ["tenure_months", "revenue"]
    assert config.bootstrap == 200 and config.revenue_period == "year"
    assert config.scenario.delta == 1.0 and config.scenario.population == "respondents"
    assert config.finance.horizon_years == 1.0 and config.finance.margin is None


def test_config_errors_name_the_key_path(tmp_path: Path) -> None:
    path = write(tmp_path, "roi.yaml", "finance: {margin: 2}\nscenario: {delta: x}\ncolumns: {churn: Churn}\nbogus: 1\n")
    with pytest.raises(InvalidConfig) as caught:
        read_config(path)
    message = str(caught.value)
    assert f"{path}: finance.margin:" in message
    assert f"{path}: scenario.delta:" in message
    assert f"{path}: columns:" in message and "'churn' is not a canonical outcome column" in message
    assert f"{path}: bogus: unknown key" in message
    assert isinstance(caught.value, CxroiError)


def test_config_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "roi.yaml", "columns: {customer_id: [\n")
    with pytest.raises(InvalidConfig, match=r"line \d+, column \d+"):
        read_config(path)


def test_config_segment_values_are_text() -> None:
    assert build_config({"scenario": {"segment": {"plan": 2}}}).scenario.segment == {"plan": "2"}


# --- outcomes validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcomes", "config", "expected"),
    [
        ("id,churned\na,0\n", {}, "no customer_id column"),
        ("customer_id,churned\na,0\nb,1\na,0\nc,0\nb,1\n", {},
         "rows 2, 3, 4, 6, column 'customer_id': duplicate customer ids"),
        ("customer_id,churned\na,0\n,1\n", {}, "row 3, column 'customer_id': customer id is blank"),
        ("customer_id,churned\na,0\nb,2\nc,yes\nd,maybe\n", {},
         "rows 3, 5, column 'churned': churned must be 0 or 1 ('2', 'maybe')"),
        ("customer_id,revenue\na,100\nb,n/a\n", {}, "row 3, column 'revenue': not a number ('n/a')"),
        ("customer_id,revenue\na,100\nb,-5\n", {}, "row 3, column 'revenue': must not be below 0 (-5)"),
        ("customer_id,start_date\na,2024-01-01\nb,someday\n", {}, "row 3, column 'start_date': not a date ('someday')"),
        ("customer_id,start_date,end_date\na,2024-01-01,2023-12-01\nb,2024-01-01,2024-03-01\n", {},
         "row 2, column 'end_date': the end date is before the start date"),
        ("Customer ID,Churn Value\na,0\nb,x\n", {"columns": {"customer_id": "Customer ID", "churned": "Churn Value"}},
         "row 3, column 'Churn Value (churned)': churned must be 0 or 1"),
        ("customer_id,churned\na,0\n", {"columns": {"revenue": "Annual Revenue"}},
         "column 'Annual Revenue' (mapped to revenue in the configuration) is not in the file"),
        ("customer_id,churned\na,0\n", {"segments": ["region"]}, "segment column 'region'"),
    ],
)
def test_outcome_errors_name_file_row_and_column(tmp_path: Path, outcomes: str, config: dict, expected: str) -> None:
    with pytest.raises(OutcomeDataError) as caught:
        load(tmp_path, outcomes, config)
    assert str(caught.value).startswith(str(tmp_path / "outcomes.csv"))
    assert expected in str(caught.value)


def test_many_bad_rows_are_listed_with_a_count(tmp_path: Path) -> None:
    rows = "".join(f"c{i},-1\n" for i in range(15))
    with pytest.raises(OutcomeDataError, match=r"rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 \(and 5 more\)"):
        load(tmp_path, "customer_id,revenue\n" + rows)


def test_responses_without_customer_id_column(tmp_path: Path) -> None:
    with pytest.raises(ResponseDataError, match="responses.csv: no customer_id column"):
        load(tmp_path, "customer_id,churned\na,0\n", responses="response_id,q1\nr1,3\n")


def test_bad_submitted_at_names_the_row(tmp_path: Path) -> None:
    responses = "customer_id,submitted_at,q1\na,2024-01-01,3\nb,yesterday-ish,4\n"
    with pytest.raises(ResponseDataError, match=r"row 3, column 'submitted_at'"):
        load(tmp_path, "customer_id,churned\na,0\nb,1\n", responses=responses)


def test_unreadable_extension(tmp_path: Path) -> None:
    with pytest.raises(OutcomeDataError, match="expected a .csv, .xlsx or .parquet file"):
        read_analysis_data(write(tmp_path, "r.csv", RESPONSES), write(tmp_path, "o.txt.gz", "x"),
                           config=build_config({}))


# --- loading, missing values and the join -----------------------------------------------------------------


def test_join_report_latest_response_and_missing_values(tmp_path: Path) -> None:
    outcomes = "Customer ID,Churn,tenure_months,revenue\na,0,12,100\nb,1,3,\nc,0,5,50\n"
    data = load(tmp_path, outcomes, {"columns": {"customer_id": "Customer ID", "churned": "Churn"}})
    # respondents a, b, zz (r4 is anonymous; r1 is a's earlier answer); outcomes a, b, c → 2 matched of 3
    assert (data.join.respondents, data.join.customers, data.join.matched) == (3, 3, 2)
    assert data.join.match_rate == pytest.approx(2 / 3)
    assert data.join.unmatched_respondent_ids == ("zz",)
    assert data.dropped["responses without a customer id"] == 1
    assert data.dropped["earlier responses by a customer who answered again"] == 1
    assert data.dropped["customers with no revenue (left out of the models that use it)"] == 1
    a = data.frame.set_index("customer_id").loc["a"]
    assert a["q1"] == 5 and a["q2"] == 2  # r3, the later answer, not r1 (3, 5)
    assert [m.name for m in data.metrics] == ["q1", "q2"]  # numeric, non-reserved columns
    assert data.text_columns == ("comment",)
    assert data.controls == ("tenure_months", "revenue")
    assert data.customers.set_index("customer_id")["responded"].to_dict() == {"a": True, "b": True, "c": False}
    assert [w.code for w in data.warnings] == []  # 67% matched is above the 50% threshold


def test_low_match_rate_warns(tmp_path: Path) -> None:
    data = load(tmp_path, "customer_id,churned\na,0\nq,1\nr,0\n")
    # respondents a, b, zz; only a is in the outcomes → 1/3 < 50%
    assert [(w.code, w.subject) for w in data.warnings] == [("low_match", "customer_id")]
    assert "duration_months" not in data.frame.columns  # neither tenure nor dates: no survival data
    assert not [reason for reason in data.dropped if "duration" in reason]
    assert "1 of 3 respondents (33%)" in data.warnings[0].message


def test_durations_from_dates(tmp_path: Path) -> None:
    # issue 12: the survival time runs from the survey (submitted_at: a 2024-02-01, b 2024-01-02, zz 2024-02-01)
    # to the end date, or to the latest date (2024-07-01) for customers still active; tenure at the survey is
    # start_date → submitted_at
    outcomes = ("customer_id,start_date,end_date\na,2023-01-01,2024-07-01\nb,2023-01-01,\n"
                "zz,2023-01-01,2024-03-02\n")
    data = load(tmp_path, outcomes)
    frame = data.frame.set_index("customer_id")
    month = 365.25 / 12
    assert frame.loc["a", "duration_months"] == pytest.approx(151 / month)
    assert frame.loc["b", "duration_months"] == pytest.approx(181 / month)
    assert frame.loc["zz", "duration_months"] == pytest.approx(30 / month)
    assert frame["tenure_months"].to_dict() == pytest.approx({"a": 396 / month, "b": 366 / month, "zz": 396 / month})
    assert frame["churned"].to_dict() == {"a": 1.0, "b": 0.0, "zz": 1.0}


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_xlsx_and_parquet_outcomes(tmp_path: Path, suffix: str) -> None:
    table = pd.DataFrame({"customer_id": ["a", "b", "zz"], "churned": [0, 1, 3], "revenue": [10.0, 20.0, 5.0]})
    path = tmp_path / f"outcomes{suffix}"
    if suffix == ".xlsx":
        table.to_excel(path, index=False)
    else:
        table.to_parquet(path, index=False)
    responses = write(tmp_path, "responses.csv", RESPONSES)
    with pytest.raises(OutcomeDataError) as caught:
        read_analysis_data(responses, path, config=build_config({}))
    # the third data row: spreadsheet row 4 (header is row 1); Parquet counts data rows from 1
    row = 4 if suffix == ".xlsx" else 3
    assert f"row {row}, column 'churned': churned must be 0 or 1 ('3')" in str(caught.value)


def test_header_only_outcomes_with_dates_have_no_latest_date(tmp_path: Path) -> None:
    # found by the outcomes fuzz test: no rows means no latest date, which was formatted anyway (a ValueError)
    from roi.data import read_outcomes_table
    from roi.inputs.outcomes import build_outcomes

    path = tmp_path / "outcomes.csv"
    path.write_text("customer_id,start_date\n", encoding="utf-8")
    outcomes = build_outcomes(read_outcomes_table(path), build_config({}))
    assert len(outcomes.frame) == 0 and not any("latest date" in note for note in outcomes.notes)
