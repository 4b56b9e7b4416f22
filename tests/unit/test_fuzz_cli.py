"""Fuzz properties (issue 13) of what a user types: ``parse_repo`` accepts exactly owner/name
shapes (and the URLs of one), and both command lines, given any arguments, exit 0, 1 or 2 with
a sentence and never a traceback or an "Unexpected error" (the CLI's own words for a bug).

The commands run in-process (``main(argv)``) on a throwaway store and folder; the two that would
leave the machine are cut short after their arguments are checked: ``sync`` meets a stub where
it would start talking to GitHub, ``demo`` where it would write a 50 MB dump.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import agents.cli
import core.queue.cli
from core.dump.files import DumpWriter
from core.errors import ConfigError
from core.github.repo_names import parse_repo
from core.store.db import Store
from core.store.runs import save_repository
from tests.fuzz_settings import fuzz

# -- parse_repo ---------------------------------------------------------------------------------
_OWNER = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9-]{0,38}\Z")
_NAME = st.from_regex(r"\A[A-Za-z0-9._-]{1,100}\Z").filter(
    lambda name: name not in {".", ".."} and not name.lower().endswith(".git")
)
_RESULT = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}")
FORMS = [
    "{o}/{r}",
    "  {o}/{r}  ",
    "{o}/{r}/",
    "{o}/{r}.git",
    "https://github.com/{o}/{r}",
    "https://github.com/{o}/{r}.git",
    "https://github.com/{o}/{r}/",
    "https://github.com/{o}/{r}/issues/3",
    "https://github.com/{o}/{r}/tree/main/src?tab=readme#top",
    "http://ghe.example.com/{o}/{r}",
    "github.com/{o}/{r}/pull/7",
    "www.github.com/{o}/{r}",
    "ssh://git@github.com/{o}/{r}.git",
    "git@github.com:{o}/{r}.git",
    "git://github.com/{o}/{r}",
]


@fuzz(300)
@given(_OWNER, _NAME, st.sampled_from(FORMS))
def test_parse_repo_reads_owner_and_name_from_every_usual_form(owner, name, form):
    assert parse_repo(form.format(o=owner, r=name)) == f"{owner}/{name}"


@fuzz(200)
@given(
    _OWNER.filter(lambda owner: owner.lower() != "localhost"),
    _NAME,
    st.lists(st.from_regex(r"\A[^/\s]{1,12}\Z"), min_size=1, max_size=3),
)
def test_parse_repo_refuses_an_owner_name_with_more_path_and_no_host(owner, name, more):
    text = "/".join([owner, name, *more])
    with pytest.raises(ConfigError, match="is not a repository"):
        parse_repo(text)


@fuzz(300)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(st.sampled_from(["/", ":", "@", ".", "..", "a", "-", "git", "http://", " "])).map(
            "".join
        ),
    )
)
def test_parse_repo_of_any_text_is_owner_and_name_or_a_sentence(text):
    try:
        repo = parse_repo(text)
    except ConfigError as exc:
        assert str(exc).startswith(f"'{text}' is not a repository")
        return
    assert _RESULT.fullmatch(repo), repo
    owner, name = repo.split("/")
    assert name not in {".", ".."}
    assert owner in text and name in text


# -- the command lines --------------------------------------------------------------------------
_BUG = "Unexpected error"


@contextlib.contextmanager
def _workdir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh folder as the working directory, holding a store with one repository, an empty
    dump-looking folder, a log, a gzip that is damaged and a file that is not a log."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-cli-"))
    try:
        store = Store(folder / "s.db")
        save_repository(store, {"id": 1, "full_name": "acme/app", "default_branch": "main"})
        store.close()
        (folder / "dump").mkdir()
        (folder / "dump" / "repo.json").write_text('{"full_name": "acme/app"}')
        (folder / "log.txt").write_text("FAILED tests/t.py::test_x - assert 1 == 2\n")
        (folder / "bad.gz").write_bytes(b"\x1f\x8b not really gzip")
        (folder / "file.bin").write_bytes(b"\x7fELF\x02\x01\x01" + bytes(64))
        monkeypatch.chdir(folder)
        yield folder
    finally:
        monkeypatch.chdir(tempfile.gettempdir())
        shutil.rmtree(folder, ignore_errors=True)


def _run(main: Callable[[Sequence[str]], int], argv: list[str]) -> tuple[object, str]:
    """(exit code, stderr) of ``main(argv)`` in-process, argparse's exits included."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: object = main(argv)
        except SystemExit as exc:
            code = exc.code
    return code, err.getvalue()


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """``sync`` and ``demo`` stop where they would reach the network or write a big dump."""
    from agents.pipeline_monitor import agent as monitor
    from core.sandbox.demo import generator

    def no_sync(_store, _source, repo, *_args, **_kwargs):
        return monitor.SyncReport(repo)

    def no_demo(out, seed=7, **_kwargs):
        DumpWriter(out, compress=True)  # the generator's first step: the folder
        return Path(out)

    monkeypatch.setattr(monitor, "sync_repository", no_sync)
    monkeypatch.setattr(generator, "generate_demo", no_demo)
    monkeypatch.setenv("CI_MEDIC_GITHUB_BASE_URL", "http://127.0.0.1:9")
    return monkeypatch


NUMBERS = [
    "0",
    "1",
    "-1",
    "7",
    "1.5",
    "1e400",
    "nan",
    "inf",
    "-0",
    "99999999999999999999",
    "",
    " 3",
]
PATHS = [
    "s.db",
    "dump",
    "log.txt",
    "bad.gz",
    "file.bin",
    "missing",
    "missing/deeper.db",
    "log.txt/below",
    ".",
    "..",
    "/",
    "/dev/null",
    "",
    "-",
    "x" * 300,
]
REPOS = [
    "acme/app",
    "ACME/APP",
    "nobody/none",
    "o/r/issues",
    "https://github.com/acme/app",
    "a",
    "",
]
URLS = [
    "http://127.0.0.1:9",
    "ftp://x",
    "http://[::1",
    "http://h:99999",
    "https://",
    "javascript:x",
]
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8
)
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-5, 10**20).map(str), _TEXT)
paths = st.one_of(st.sampled_from(PATHS), _TEXT)
# where analyze writes its CSVs: never outside the throwaway folder
out_paths = st.one_of(st.sampled_from([p for p in PATHS if p not in {"/", ".."}]), _TEXT)
repos = st.one_of(st.sampled_from(REPOS), _TEXT)
urls = st.one_of(st.sampled_from(URLS), _TEXT)


def _options(*choices: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    """Any subset of the options, in any order, each a list of argv items."""
    return st.lists(st.one_of(*choices), max_size=len(choices) + 1).map(
        lambda groups: [item for group in groups for item in group]
    )


def _flag(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return values.map(lambda value: [name, value])


# Each command with its own arguments (so most examples get past argparse and run), then now
# and then one stray item anywhere.
COMMAND_ARGS = {
    "demo": st.tuples(paths.map(lambda p: [p]), _options(_flag("--seed", numbers))),
    "import": st.tuples(paths.map(lambda p: [p]), st.just([])),
    "sync": st.tuples(
        repos.map(lambda r: [r]),
        _options(
            _flag("--base-url", urls),
            _flag("--budget", numbers),
            _flag("--days", numbers),
            st.just(["--full"]),
        ),
    ),
    "status": st.tuples(st.just([]), st.just([])),
    "analyze": st.tuples(_flag("--out", out_paths), _options(_flag("--repo", repos))),
    "rca": st.tuples(
        st.lists(paths, min_size=1, max_size=3),
        _options(
            st.just(["--json"]),
            _flag("--previous-green", paths),
            paths.map(lambda p: [f"--previous-green={p}"]),
        ),
    ),
}


@st.composite
def ci_medic_argv(draw) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMAND_ARGS)))
    required, optional = draw(COMMAND_ARGS[command])
    argv = [command, *required, *optional]
    if draw(st.booleans()):
        argv = ["--db", draw(paths), *argv]
    if draw(st.integers(0, 9)) == 0:  # a stray item: argparse's usage error, exit 2
        junk = draw(st.one_of(_TEXT, st.sampled_from(["-h", "--help", "--", "-x", "--db"])))
        argv.insert(draw(st.integers(0, len(argv))), junk)
    return argv


@fuzz(200)
@given(ci_medic_argv())
def test_ci_medic_given_any_arguments_exits_0_1_or_2_with_no_traceback(offline, argv):
    with _workdir(offline):
        code, err = _run(agents.cli.main, argv)

    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and _BUG not in err, (argv, err)
    if code:
        assert err.strip(), (argv, "a failure must say why")


WORKER_FLAGS = [
    "--db",
    "--endpoint",
    "--burst",
    "--local",
    "--batch-size",
    "--lease",
    "--max-attempts",
    "--backoff-base",
    "--backoff-cap",
    "--bound",
    "--max",
    "--out",
    "--follow",
    "-h",
]


@fuzz(150)
@given(
    st.sampled_from(["run", "consume", "status", "", "-h", "logs"]),
    st.lists(
        st.one_of(
            st.sampled_from(WORKER_FLAGS),
            numbers,
            paths,
            urls,
        ),
        max_size=6,
    ),
)
def test_the_worker_parser_given_any_arguments_parses_or_exits_0_or_2(command, rest):
    """Only the parser: ``run`` without ``--burst`` publishes until stopped."""
    parser = core.queue.cli.build_parser()
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            args = parser.parse_args([command, *rest])
        except SystemExit as exc:
            assert exc.code in (0, 2)
            assert "Traceback" not in err.getvalue()
            return
    assert args.command in {"run", "consume", "status"}
    for name in ("lease_s", "backoff_base_s", "backoff_cap_s"):
        value = getattr(args, name, None)
        assert value is None or 0 < value < float("inf")
    size = getattr(args, "batch_size", None)
    assert size is None or 1 <= size <= 10


@fuzz(80)
@given(_options(_flag("--db", paths), _flag("--endpoint", urls)))
def test_worker_status_given_any_store_and_endpoint_exits_0_1_or_2_with_no_traceback(offline, rest):
    argv = ["status", *rest]
    with _workdir(offline):
        code, err = _run(core.queue.cli.main, argv)
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err and _BUG not in err, (argv, err)


# -- what the fuzzing found (fixed; kept as regressions) ----------------------------------
LONG = "x" * 300  # longer than a file name may be (NAME_MAX 255)


@pytest.mark.parametrize(
    ("main", "argv"),
    [
        (agents.cli.main, ["--db", LONG, "status"]),
        (agents.cli.main, ["--db", "s.db", "import", LONG]),
        (agents.cli.main, ["demo", LONG]),
        (agents.cli.main, ["--db", "s.db", "analyze", "--out", LONG]),
        (agents.cli.main, ["demo", "log.txt/below"]),
        (agents.cli.main, ["--db", "s.db", "sync", "acme/app", "--days", "1000000000"]),
        (core.queue.cli.main, ["status", "--db", LONG]),
        (core.queue.cli.main, ["run", "--burst", "--db", LONG]),
    ],
    ids=[
        "db-name-too-long",
        "import-name-too-long",
        "demo-name-too-long",
        "analyze-out-name-too-long",
        "demo-out-below-a-file",
        "sync-days-past-timedelta",
        "worker-status-db-name-too-long",
        "worker-run-db-name-too-long",
    ],
)
def test_paths_the_os_refuses_and_absurd_days_get_a_sentence(offline, main, argv):
    """Once 'Unexpected error' (ENAMETOOLONG, NotADirectoryError, OverflowError): now one
    sentence naming the option, exit 1."""
    with _workdir(offline):
        code, err = _run(main, argv)
    assert code == 1 and err.startswith("error: "), (code, err)


@pytest.mark.parametrize(
    "argv",
    [
        ["rca", "--json", "log.txt"],
        ["rca", "--previous-green", "log.txt", "log.txt"],
        ["rca", "--help"],
    ],
)
def test_rca_takes_its_options_before_the_logs_too(offline, argv):
    """``rca log --json`` works; ``rca --json log`` is refused by the top-level parser
    ("unrecognized arguments: --json"), as are ``--previous-green`` and ``--help`` first."""
    with _workdir(offline):
        code, err = _run(agents.cli.main, argv)
    assert code == 0 and "unrecognized arguments" not in err, (code, err)
