"""The whole ``mvn -B -ntp verify`` output of the Java service, with its ways of failing:
enforcer rules, unresolvable dependencies, javac errors, surefire failures and a crashed fork.
"""

from __future__ import annotations

import time

from core.sandbox.demo.faults import Fault
from core.sandbox.demo.logs.builder import LogCtx, Out
from core.sandbox.demo.logs.setup_steps import java_env
from core.sandbox.demo.logs.steps import run_header
from core.sandbox.demo.logs.suite_output import maven_tests

__all__ = ["maven_build"]

_PROJECT = "com.acme.shopfront:shopfront-api:jar:1.4.0-SNAPSHOT"
_RULE = "org.apache.maven.enforcer.rules.dependency.DependencyConvergence"
_HELP = (
    "[ERROR] ",
    "[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.",
    "[ERROR] Re-run Maven using the -X switch to enable full debug logging.",
    "[ERROR] ",
    "[ERROR] For more information about the errors and possible "
    "solutions, please read the following articles:",
)
_WIKI = "[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/"


def _phase(out: Out, name: str, *info: str) -> None:
    out.add("[INFO] ", f"[INFO] --- {name} @ shopfront-api ---", *(f"[INFO] {i}" for i in info))


def _finish(ctx: LogCtx, out: Out, ok: bool, took: float) -> None:
    mins, secs = divmod(int(took), 60)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ctx.job.started + took))
    total = f"{mins:02d}:{secs:02d} min" if mins else f"{took:.3f} s"
    out.add(
        "[INFO] " + "-" * 72,
        f"[INFO] BUILD {'SUCCESS' if ok else 'FAILURE'}",
        "[INFO] " + "-" * 72,
        f"[INFO] Total time:  {total}",
        f"[INFO] Finished at: {stamp}",
        "[INFO] " + "-" * 72,
    )


def _enforcer_failure(ctx: LogCtx, out: Out) -> None:
    out.add(
        f"[WARNING] Rule 0: {_RULE} failed with message:",
        "Failed while enforcing releasability.",
        "",
        "Dependency convergence error for com.fasterxml.jackson.core:jackson-core:jar:2.18.1 "
        "paths to dependency are:",
        cause=True,
    )
    out.add(
        f"+-{_PROJECT}",
        "  +-com.fasterxml.jackson.core:jackson-databind:jar:2.18.1:compile",
        "    +-com.fasterxml.jackson.core:jackson-core:jar:2.18.1:compile",
        "and",
        f"+-{_PROJECT}",
        "  +-org.springframework.boot:spring-boot-starter-json:jar:3.3.5:compile",
        "    +-com.fasterxml.jackson.datatype:jackson-datatype-jsr310:jar:2.17.2:compile",
        "      +-com.fasterxml.jackson.core:jackson-core:jar:2.17.2:compile",
        "",
    )
    _finish(ctx, out, False, ctx.rng.uniform(8, 20))
    out.add(
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-enforcer-plugin:3.5.0:"
        "enforce (enforce-versions) on project shopfront-api: ",
        f"[ERROR] Rule 0: {_RULE} failed with message:",
        "[ERROR] Failed while enforcing releasability.",
        cause=True,
    )
    out.add("[ERROR] -> [Help 1]", *_HELP, _WIKI + "MojoExecutionException")


def _net_failure(ctx: LogCtx, out: Out) -> None:
    art = ctx.rng.choice(
        (
            "org.postgresql:postgresql:jar:42.7.4",
            "org.flywaydb:flyway-core:jar:10.20.1",
            "io.micrometer:micrometer-registry-prometheus:jar:1.13.6",
        )
    )
    why = ctx.rng.choice(
        (
            "status code: 503, reason phrase: Service Unavailable (503)",
            "Connection reset",
            "Read timed out",
        )
    )
    transfer = (
        f"Could not transfer artifact {art} from/to central "
        f"(https://repo.maven.apache.org/maven2): {why}"
    )
    out.add(f"[WARNING] {transfer}", cause=True)
    _finish(ctx, out, False, ctx.rng.uniform(20, 90))
    out.add(
        f"[ERROR] Failed to execute goal on project shopfront-api: Could not resolve "
        f"dependencies for project {_PROJECT}: The following artifacts could not be "
        f"resolved: {art} (absent): {transfer} -> [Help 1]",
        cause=True,
    )
    out.add(*_HELP, _WIKI + "DependencyResolutionException")


def _javac_failure(ctx: LogCtx, out: Out, fault: Fault) -> None:
    d = fault.detail
    where = f"[ERROR] {ctx.path('services', 'api', d['file'])}:[{d['line']},{d['col']}] {d['msg']}"
    out.add("[INFO] -------------------------------------------------------------")
    out.add("[ERROR] COMPILATION ERROR : ", cause=True)
    out.add("[INFO] -------------------------------------------------------------")
    out.add(where, *d["more"], cause=True)
    out.add("[INFO] 1 error", "[INFO] " + "-" * 61)
    _finish(ctx, out, False, ctx.rng.uniform(15, 40))
    out.add(
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.13.0:"
        "compile (default-compile) on project shopfront-api: Compilation failure",
        where,
        *(f"[ERROR] {m}" for m in d["more"]),
        cause=True,
    )
    out.add("[ERROR] -> [Help 1]", *_HELP, _WIKI + "MojoFailureException")


def _crash(ctx: LogCtx, out: Out) -> None:
    java = java_env(ctx)["JAVA_HOME"]
    api = ctx.path("services", "api")
    out.add(
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.5.2:"
        "test (default-test) on project shopfront-api: ",
        "[ERROR] ",
        f"[ERROR] Please refer to {api}/target/surefire-reports for the individual test results.",
        "[ERROR] Please refer to dump files (if any exist) [date].dump, "
        "[date]-jvmRun[N].dump and [date].dumpstream.",
    )
    out.add(
        "[ERROR] ExecutionException The forked VM terminated without properly saying "
        "goodbye. VM crash or System.exit called?",
        cause=True,
    )
    out.add(
        f"[ERROR] Command was /bin/sh -c cd '{api}' && '{java}/bin/java' '-Xmx3g' '-jar' "
        f"'{api}/target/surefire/surefirebooter-{ctx.rng.getrandbits(40)}.jar'",
        "[ERROR] Error occurred in starting fork, check output in log",
    )
    out.add(
        "[ERROR] Process Exit Code: 137",
        "[ERROR] Crashed tests:",
        "[ERROR] com.acme.shopfront.api.inventory.InventoryReservationIT",
        cause=True,
    )
    out.add("[ERROR] -> [Help 1]", *_HELP, _WIKI + "MojoExecutionException")


def _tests_phase(ctx: LogCtx, out: Out, fault: Fault | None, cut: float | None) -> bool:
    """Surefire; returns True when the build may continue to packaging."""
    kind = fault.kind if fault else None
    tests = Out()
    maven_tests(ctx, tests.lines, tests.cause)
    if cut is not None or kind == "oom_surefire":
        keep = int(len(tests.lines) * (cut if cut is not None else 0.6))
        out.extend(tests.lines[:keep])
        if kind == "oom_surefire":
            _finish(ctx, out, False, ctx.rng.uniform(60, 200))
            _crash(ctx, out)
        return False
    out.extend(tests.lines, tests.cause)
    if kind != "tests":
        return True
    _finish(ctx, out, False, ctx.rng.uniform(60, 160))
    out.add(
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.5.2:"
        "test (default-test) on project shopfront-api: There are test failures.",
        "[ERROR] ",
        f"[ERROR] Please refer to {ctx.path('services', 'api')}/target/surefire-reports for "
        "the individual test results.",
        "[ERROR] -> [Help 1]",
        *_HELP,
        _WIKI + "MojoFailureException",
    )
    return False


def maven_build(ctx: LogCtx, fault: Fault | None, cut: float | None = None) -> Out:
    """The 'Build and test' step: lines, cause indices and exit code."""
    out = Out(run_header(ctx, ["mvn -B -ntp verify"], java_env(ctx)))
    out.exit_code = 1
    out.add(
        "[INFO] Scanning for projects...",
        "[INFO] ",
        "[INFO] -----------------< com.acme.shopfront:shopfront-api >------------------",
        "[INFO] Building shopfront-api 1.4.0-SNAPSHOT",
        "[INFO]   from pom.xml",
        "[INFO] --------------------------------[ jar ]---------------------------------",
    )
    kind = fault.kind if fault else None
    if kind == "net_maven":
        _net_failure(ctx, out)
        return out
    _phase(out, "enforcer:3.5.0:enforce (enforce-versions)")
    if kind == "maven_enforcer":
        _enforcer_failure(ctx, out)
        return out
    out.add(
        f"[INFO] Rule 0: {_RULE} passed",
        "[INFO] Rule 1: org.apache.maven.enforcer.rules.version.RequireJavaVersion passed",
    )
    _phase(
        out,
        "resources:3.3.1:resources (default-resources)",
        "Copying 4 resources from src/main/resources to target/classes",
    )
    _phase(
        out,
        "compiler:3.13.0:compile (default-compile)",
        "Recompiling the module because of changed source code.",
        "Compiling 86 source files with javac [debug release 21] to target/classes",
    )
    if kind == "javac" and fault is not None:
        _javac_failure(ctx, out, fault)
        return out
    _phase(
        out,
        "resources:3.3.1:testResources (default-testResources)",
        "Copying 2 resources from src/test/resources to target/test-classes",
    )
    _phase(
        out,
        "compiler:3.13.0:testCompile (default-testCompile)",
        "Recompiling the module because of changed dependency.",
        "Compiling 31 source files with javac [debug release 21] to target/test-classes",
    )
    if not _tests_phase(ctx, out, fault, cut):
        return out
    _phase(
        out,
        "jar:3.4.2:jar (default-jar)",
        f"Building jar: "
        f"{ctx.path('services', 'api', 'target', 'shopfront-api-1.4.0-SNAPSHOT.jar')}",
    )
    _finish(ctx, out, True, ctx.rng.uniform(60, 140))
    out.exit_code = 0
    return out
