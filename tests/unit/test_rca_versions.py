"""Dependencies resolved at another version than in the last green run name the likely cause.

The package-manager output below is written for these tests: the artifacts, packages and versions
are invented, in the formats Maven, Gradle, pip, Go, Cargo, Bundler and npm print.
"""

from __future__ import annotations

from agents.root_cause.analysis import analyse_log
from agents.root_cause.versions import describe_changes, resolved_versions, version_changes

MAVEN = (
    "[INFO] Downloading from central: https://repo.maven.apache.org/maven2/com/acme/ledger/"
    "ledger-codec/{v}/ledger-codec-{v}.jar"
)


def test_each_package_manager_output_is_read_with_its_line_number():
    log = "\n".join(
        [
            "setup",
            MAVEN.format(v="3.0.2"),
            "Download https://plugins.gradle.org/m2/io/quarry/quarry-io/1.7.0/quarry-io-1.7.0.pom",
            "Collecting tidewater==4.2.1",
            "Successfully installed fernlib-0.9 mossgrid-2.3.7",
            "go: downloading github.com/lanternfish/assertkit v0.6.2",
            "  Downloaded pebblehash v0.4.11",
            "   Compiling sparrow-sys v0.1.33",
            "Installing quillmark 2.5.0",
            "Using cobblestone 1.0.4",
            "+ tiny-padder@2.0.1",
            "\x1b[32mFetching glimmer 0.8.3\x1b[0m",
        ]
    )
    found = resolved_versions(log)
    assert found["ledger-codec"] == ("3.0.2", 2)
    assert found["quarry-io"] == ("1.7.0", 3)
    assert found["tidewater"] == ("4.2.1", 4)
    assert found["fernlib"] == ("0.9", 5) and found["mossgrid"] == ("2.3.7", 5)
    assert found["github.com/lanternfish/assertkit"] == ("v0.6.2", 6)
    assert found["pebblehash"] == ("0.4.11", 7) and found["sparrow-sys"] == ("0.1.33", 8)
    assert found["quillmark"] == ("2.5.0", 9) and found["cobblestone"] == ("1.0.4", 10)
    assert found["tiny-padder"] == ("2.0.1", 11)
    assert found["glimmer"] == ("0.8.3", 12)


def test_only_dependencies_resolved_at_another_version_are_changes():
    green = "\n".join(
        [MAVEN.format(v="2.4.1"), "Collecting tidewater==4.2.1", "", "+ tiny-padder@2.0.1"]
    )
    failing = "\n".join(
        [
            "start",
            "Collecting tidewater==4.2.1",
            MAVEN.format(v="3.0.2"),
            "Collecting brandnew==1.0",
            "",
            "+ tiny-padder@2.1.0",
        ]
    )
    changes = version_changes(failing, green)
    assert [(c.name, c.before, c.after, c.line) for c in changes] == [
        ("ledger-codec", "2.4.1", "3.0.2", 3),
        ("tiny-padder", "2.0.1", "2.1.0", 6),
    ]
    assert describe_changes(changes) == (
        "Since the last green run: ledger-codec 2.4.1 -> 3.0.2 (line 3), "
        "tiny-padder 2.0.1 -> 2.1.0 (line 6)."
    )
    assert describe_changes([]) == ""


def test_a_compile_error_after_a_bump_names_the_bumped_dependency_when_green_is_known():
    body = [f"[INFO] compiling module {i}" for i in range(60)]
    error = [
        "[ERROR] COMPILATION ERROR :",
        "[ERROR] /src/main/java/com/acme/ledger/EntryReader.java:[44,17] cannot find symbol",
        "[ERROR]   symbol:   method decodeLegacy(byte[])",
        "[INFO] BUILD FAILURE",
    ]
    failing = "\n".join([MAVEN.format(v="3.0.2")] + body + error)
    green = "\n".join([MAVEN.format(v="2.4.1")] + body + ["[INFO] BUILD SUCCESS"])
    with_green = analyse_log(failing, previous_green=green)
    assert with_green.category == "compilation"
    assert "ledger-codec 2.4.1 -> 3.0.2 (line 1)" in with_green.suggestion
    assert "ledger-codec 2.4.1" not in analyse_log(failing).suggestion


def test_a_cancelled_job_gets_no_dependency_lead():
    failing = "\n".join([MAVEN.format(v="3.0.2"), "##[error]The operation was canceled."])
    green = MAVEN.format(v="2.4.1")
    result = analyse_log(failing, previous_green=green)
    assert result.category == "cancelled"
    assert "Since the last green run" not in result.suggestion
