"""Dependencies resolved at another version than in the last green run name the likely cause."""

from __future__ import annotations

from agents.root_cause.analysis import analyse_log
from agents.root_cause.versions import describe_changes, resolved_versions, version_changes

MAVEN = (
    "[INFO] Downloading from central: https://repo.maven.apache.org/maven2/org/springframework/"
    "spring-core/{v}/spring-core-{v}.jar"
)


def test_each_package_manager_output_is_read_with_its_line_number():
    log = "\n".join(
        [
            "setup",
            MAVEN.format(v="6.0.7"),
            "Download https://plugins.gradle.org/m2/com/squareup/okio/okio/3.2.0/okio-3.2.0.pom",
            "Collecting requests==2.31.0",
            "Successfully installed idna-3.4 urllib3-2.0.4",
            "go: downloading github.com/stretchr/testify v1.8.4",
            "  Downloaded serde v1.0.188",
            "   Compiling libc v0.2.147",
            "Installing rails 7.0.8",
            "Using rake 13.0.6",
            "+ left-pad@1.3.0",
            "\x1b[32mFetching nokogiri 1.15.4\x1b[0m",
        ]
    )
    found = resolved_versions(log)
    assert found["spring-core"] == ("6.0.7", 2)
    assert found["okio"] == ("3.2.0", 3)
    assert found["requests"] == ("2.31.0", 4)
    assert found["idna"] == ("3.4", 5) and found["urllib3"] == ("2.0.4", 5)
    assert found["github.com/stretchr/testify"] == ("v1.8.4", 6)
    assert found["serde"] == ("1.0.188", 7) and found["libc"] == ("0.2.147", 8)
    assert found["rails"] == ("7.0.8", 9) and found["rake"] == ("13.0.6", 10)
    assert found["left-pad"] == ("1.3.0", 11)
    assert found["nokogiri"] == ("1.15.4", 12)


def test_only_dependencies_resolved_at_another_version_are_changes():
    green = "\n".join([MAVEN.format(v="5.3.24"), "Collecting requests==2.31.0"])
    failing = "\n".join(
        ["start", "Collecting requests==2.31.0", MAVEN.format(v="6.0.7"), "Collecting new==1.0"]
    )
    changes = version_changes(failing, green)
    assert [(c.name, c.before, c.after, c.line) for c in changes] == [
        ("spring-core", "5.3.24", "6.0.7", 3)
    ]
    assert describe_changes(changes) == (
        "Since the last green run: spring-core 5.3.24 -> 6.0.7 (line 3)."
    )
    assert describe_changes([]) == ""


def test_a_compile_error_after_a_bump_names_the_bumped_dependency_when_green_is_known():
    body = [f"[INFO] compiling module {i}" for i in range(60)]
    error = [
        "[ERROR] COMPILATION ERROR :",
        "[ERROR] /src/main/java/app/KeyStore.java:[61,9] cannot find symbol",
        "[ERROR]   symbol:   method getDefault()",
        "[INFO] BUILD FAILURE",
    ]
    failing = "\n".join([MAVEN.format(v="6.0.7")] + body + error)
    green = "\n".join([MAVEN.format(v="5.3.24")] + body + ["[INFO] BUILD SUCCESS"])
    with_green = analyse_log(failing, previous_green=green)
    assert with_green.category == "compilation"
    assert "spring-core 5.3.24 -> 6.0.7 (line 1)" in with_green.suggestion
    assert "spring-core 5.3.24" not in analyse_log(failing).suggestion


def test_a_cancelled_job_gets_no_dependency_lead():
    failing = "\n".join([MAVEN.format(v="6.0.7"), "##[error]The operation was canceled."])
    green = MAVEN.format(v="5.3.24")
    result = analyse_log(failing, previous_green=green)
    assert result.category == "cancelled"
    assert "Since the last green run" not in result.suggestion
