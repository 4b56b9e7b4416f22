"""Reading a test history from a CSV file: lenient where a tool's spelling differs, one
sentence naming the line where the file is no history."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.flaky_tests.csv_input import HistoryInputError, read_history_csv
from core.errors import CIMedicError


def _write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_other_spellings_of_the_columns_and_outcomes_are_read(tmp_path):
    path = _write(
        tmp_path,
        " Test ,STATUS,Run_Attempt,SHA,extra\n"
        "a,PASSED,1,abc,x\n"
        "a,Failed,2,abc,x\n"
        "b,skipped,,abc,x\n",
    )
    frame = read_history_csv(path)
    assert list(frame.columns) == ["test_id", "outcome", "attempt", "commit_sha"]
    assert frame["outcome"].tolist() == ["PASSED", "Failed", "skipped"]
    assert frame["commit_sha"].tolist() == ["abc"] * 3


def test_the_job_and_the_branch_of_each_result_are_read_when_given(tmp_path):
    """A test is judged in each job it runs in, and a regression is followed along its
    branch: both come from the file when it has them, in GitHub's spelling too."""
    path = _write(tmp_path, "test_id,outcome,job_name,head_branch\na,P,unit (3.12),fix/x\n")
    frame = read_history_csv(path)
    assert frame[["job", "branch"]].values.tolist() == [["unit (3.12)", "fix/x"]]


def test_rows_without_a_run_are_runs_of_their_own_named_after_their_line(tmp_path):
    frame = read_history_csv(_write(tmp_path, "test_id,outcome,run_id\na,P,r1\na,F,\na,P, \n"))
    assert frame["run_id"].tolist() == ["r1", "line 3", "line 4"]
    frame = read_history_csv(_write(tmp_path, "test_id,outcome\na,P\na,F\n", "bare.csv"))
    assert "run_id" not in frame  # no run ids at all: the engine's own rule (history.py)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "is empty"),
        ("test_id,outcome\n", "has a header but no rows"),
        ("name_of_test,result\na,P\n", "no column 'test_id'"),
        ("test_id,verdict\na,P\n", "no column 'outcome'"),
        ("test_id,outcome\na,P\nb,flaky?\n", "line 3: the outcome 'flaky?'"),
        ("test_id,outcome\na,P\nb,\n", "line 3: the outcome ''"),
        ("test_id,outcome\n ,P\n", "line 2: the test_id is blank"),
        ("test_id,outcome,attempt\na,P,1\na,F,two\n", "line 3: the attempt 'two'"),
        ('test_id,outcome\na,"P\n', "not a well-formed CSV"),
    ],
)
def test_a_file_that_is_no_history_is_one_sentence(tmp_path, text, words):
    with pytest.raises(HistoryInputError) as caught:
        read_history_csv(_write(tmp_path, text))
    message = str(caught.value)
    assert words in message
    assert "\n" not in message and message.endswith(".")
    assert isinstance(caught.value, CIMedicError)


def test_a_missing_file_or_a_folder_is_one_sentence(tmp_path):
    with pytest.raises(HistoryInputError, match="There is no file"):
        read_history_csv(tmp_path / "nope.csv")
    with pytest.raises(HistoryInputError, match="is a folder"):
        read_history_csv(tmp_path)


def test_a_binary_file_is_no_csv(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(b"test_id,outcome\n\xff\xfe\x00a,P\n")
    with pytest.raises(HistoryInputError, match="not a UTF-8 text file"):
        read_history_csv(path)
