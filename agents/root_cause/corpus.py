"""A small labelled corpus of failure snippets, written for this project (no third-party data).

Each entry is ``(category, snippet)``: the few lines a CI log shows when a job fails that way, in
the styles of common tools (Maven, Gradle, npm, pip/pytest, Go, Cargo, .NET, GitHub Actions).
Names, paths and versions are invented. The default
:class:`~agents.root_cause.classify.FailureClassifier`
trains on these at run time; a user's own labelled history (or the demo's labelled failures) can
be added with ``FailureClassifier().fit(texts, labels)``.
"""

from __future__ import annotations

__all__ = ["CORPUS"]

CORPUS: tuple[tuple[str, str], ...] = (
    # ---------------------------------------------------------------- compilation
    (
        "compilation",
        "[ERROR] COMPILATION ERROR :\n[ERROR] /src/main/java/com/acme/shop/Cart.java:[42,17] "
        "cannot find symbol\n  symbol:   class PriceRule\n  location: package com.acme.shop",
    ),
    (
        "compilation",
        "[ERROR] /src/main/java/org/demo/Api.java:[10,8] package org.legacy.util does not exist",
    ),
    (
        "compilation",
        "src/app/main.ts(14,22): error TS2339: Property 'userId' does not exist on type 'Session'.",
    ),
    (
        "compilation",
        "error[E0425]: cannot find value `config` in this scope\n --> src/main.rs:12:5",
    ),
    (
        "compilation",
        "./pkg/server/handler.go:31:9: undefined: NewRouter\nFAIL\tgithub.com/acme/api [build "
        "failed]",
    ),
    (
        "compilation",
        "e: /app/src/main/kotlin/Service.kt: (27, 13): Unresolved reference: retryPolicy",
    ),
    (
        "compilation",
        "Program.cs(18,9): error CS0246: The type or namespace name 'HttpClientFactory' could "
        "not be found",
    ),
    (
        "compilation",
        "src/parser.c:88:5: error: implicit declaration of function 'strlcpy'\nmake: *** "
        "[parser.o] Error 1",
    ),
    (
        "compilation",
        "[ERROR] Failed to execute goal "
        "org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile"
        " (default-compile) on project core: Compilation failure",
    ),
    (
        "compilation",
        "> Task :compileJava FAILED\nerror: incompatible types: String cannot be converted to int",
    ),
    (
        "compilation",
        "class file has wrong version 61.0, should be 55.0\nPlease remove or make sure it appears "
        "in the correct subdirectory of the classpath.",
    ),
    (
        "compilation",
        "SyntaxError: invalid syntax\n  File \"setup.py\", line 12\n    print 'building'",
    ),
    (
        "compilation",
        "ld: undefined reference to `curl_easy_init'\ncollect2: error: ld returned 1 exit status",
    ),
    # ---------------------------------------------------------------- test_failure
    (
        "test_failure",
        "[ERROR] Tests run: 12, Failures: 1, Errors: 0, Skipped: 0 <<< FAILURE! - in "
        "com.acme.CartTest\n[ERROR] totalIncludesTax  Time elapsed: 0.01 s  <<< FAILURE!\n"
        "org.opentest4j.AssertionFailedError: expected: <42> but was: <41>",
    ),
    (
        "test_failure",
        "FAILED tests/test_orders.py::test_refund - AssertionError: assert 200 == 404\n"
        "========= 1 failed, 120 passed in 8.12s =========",
    ),
    (
        "test_failure",
        '--- FAIL: TestParseConfig (0.00s)\n    config_test.go:48: got "yaml", want "json"\nFAIL',
    ),
    (
        "test_failure",
        "  1) UserService\n       creates a user:\n     AssertionError: expected 201 to equal 200"
        "\n  3 passing (1s)\n  1 failing",
    ),
    (
        "test_failure",
        "thread 'parser::tests::empty_input' panicked at 'assertion failed: `(left == right)`'\n"
        "test result: FAILED. 14 passed; 1 failed",
    ),
    (
        "test_failure",
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.0.0:test "
        "(default-test) on project api: There are test failures.",
    ),
    (
        "test_failure",
        "Failed AcmeTests.OrderTests.Refund_IsRecorded [12 ms]\n  Error Message:\n   "
        "Assert.Equal() "
        "Failure\nExpected: 3\nActual:   2",
    ),
    (
        "test_failure",
        "not ok 7 - handles empty payload\n  ---\n  operator: deepEqual\n  expected: []\n  actual: "
        "null",
    ),
    (
        "test_failure",
        "There were 2 failures:\n1) InvoiceTest::testTotal\nFailed asserting that 10 matches "
        "expected 12.\nFAILURES!\nTests: 80, Assertions: 200, Failures: 2.",
    ),
    (
        "test_failure",
        "> Task :test FAILED\nOrderServiceTest > cancelsOrder() FAILED\n    "
        "java.lang.AssertionError "
        "at OrderServiceTest.java:57",
    ),
    (
        "test_failure",
        "Failure:\nUserTest#test_email_is_unique [test/models/user_test.rb:18]:\nExpected false to "
        "be truthy.",
    ),
    (
        "test_failure",
        "FAIL src/components/Button.test.tsx\n  ● Button › renders label\n    expect(received)."
        "toBe(expected)",
    ),
    # ---------------------------------------------------------------- dependency_resolution
    (
        "dependency_resolution",
        "[ERROR] Failed to execute goal on project web: Could not resolve dependencies for "
        "project com.acme:web:jar:1.0: Could not find artifact com.acme:auth:jar:2.3.1 in "
        "central",
    ),
    (
        "dependency_resolution",
        "ERROR: Could not find a version that satisfies the requirement fastjsonx==9.1\n"
        "ERROR: No matching distribution found for fastjsonx==9.1",
    ),
    (
        "dependency_resolution",
        "npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/"
        "left-padd - Not found",
    ),
    (
        "dependency_resolution",
        "npm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\n"
        'npm ERR! peer react@"^17.0.0" from ui-kit@2.1.0',
    ),
    (
        "dependency_resolution",
        "> Could not resolve all files for configuration ':app:runtimeClasspath'.\n   > "
        "Could not find io.acme:metrics:4.2.0.",
    ),
    (
        "dependency_resolution",
        "go: github.com/acme/tools@v1.9.0: reading github.com/acme/tools/go.mod at "
        "revision v1.9.0: unknown revision v1.9.0",
    ),
    (
        "dependency_resolution",
        'error: failed to select a version for the requirement `serde = "^9.0"`\n'
        "candidate versions found which didn't match: 1.0.188",
    ),
    ("dependency_resolution", "ModuleNotFoundError: No module named 'requests_toolbelt'"),
    (
        "dependency_resolution",
        "Error: Cannot find module 'webpack-cli'\nRequire stack:\n- /app/node_modules/"
        "webpack/bin/webpack.js",
    ),
    (
        "dependency_resolution",
        "Because app depends on http >=2.0.0 which doesn't match any versions, version "
        "solving failed.",
    ),
    (
        "dependency_resolution",
        "Your requirements could not be resolved to an installable set of packages.\n"
        "  Problem 1\n    - Root composer.json requires acme/log ^5.0, found acme/log[1.0]",
    ),
    # ---------------------------------------------------------------- dependency_policy
    (
        "dependency_policy",
        "[ERROR] Rule 0: org.apache.maven.enforcer.rules.dependency.RequireUpperBoundDeps failed"
        " with message:\nRequire upper bound dependencies error for com.google.guava:guava:31.0",
    ),
    (
        "dependency_policy",
        "[WARNING] Dependency convergence error for org.slf4j:slf4j-api:1.7.36 paths to "
        "dependency are:\n[ERROR] Rule 1: DependencyConvergence failed",
    ),
    (
        "dependency_policy",
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-enforcer-plugin:3.3.0:"
        "enforce (enforce) on project api: Some Enforcer rules have failed.",
    ),
    (
        "dependency_policy",
        "npm ERR! `npm ci` can only install packages when your package.json and "
        "package-lock.json are in sync.",
    ),
    (
        "dependency_policy",
        "error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.",
    ),
    (
        "dependency_policy",
        "pyproject.toml changed significantly since poetry.lock was last generated. Run "
        "`poetry lock` to fix the lock file.",
    ),
    (
        "dependency_policy",
        "error: the lock file Cargo.lock needs to be updated but --locked was passed",
    ),
    (
        "dependency_policy",
        "[ERROR] Found banned dependency: commons-logging:commons-logging:jar:1.2\n"
        "BannedDependencies failed",
    ),
    (
        "dependency_policy",
        "License check failed: package gpl-lib@1.0.0 has license GPL-3.0 which is not allowed",
    ),
    ("dependency_policy", "found 3 high severity vulnerabilities\nrun `npm audit fix` to fix them"),
    (
        "dependency_policy",
        "One or more dependencies were identified with vulnerabilities that have a CVSS score "
        "greater than or equal to '7.0'",
    ),
    (
        "dependency_policy",
        "[ERROR] Dependency org.acme:widget:jar:2.1 requires Jenkins 2.387.1 or higher.",
    ),
    # ---------------------------------------------------------------- lint
    ("lint", "[ERROR] /src/main/java/com/acme/Util.java: warnings found and -Werror specified"),
    (
        "lint",
        "src/app.js\n  12:5  error  'unused' is assigned a value but never used  "
        "no-unused-vars\n✖ 1 problem "
        "(1 error, 0 warnings)",
    ),
    ("lint", "would reformat src/acme/models.py\nOh no! 1 file would be reformatted."),
    ("lint", "acme/api.py:33:80: E501 line too long (92 > 79 characters)"),
    (
        "lint",
        "[ERROR] src/main/java/com/acme/Cart.java:[12,1] (imports) UnusedImports: Unused import - "
        "java.util.List.\nYou have 1 Checkstyle violation.",
    ),
    (
        "lint",
        "The following files had format violations:\n    src/main/java/Acme.java\nRun 'gradlew "
        "spotlessApply' to fix these violations.",
    ),
    (
        "lint",
        "Inspecting 40 files\nC:12:3: Style/StringLiterals: Prefer single-quoted strings.\n40 "
        "files "
        "inspected, 1 offense detected",
    ),
    ("lint", "main.go:1: File is not `gofmt`-ed with `-s` (gofmt)"),
    (
        "lint",
        "error: unused variable: `count`\n  = note: `-D warnings` implied by `-D clippy::all`",
    ),
    ("lint", "cc1: all warnings being treated as errors"),
    ("lint", "[WARNING] Code style issues found in the above file(s). Forgot to run Prettier?"),
    (
        "lint",
        "src/util.ts:4:1 - error TSLint: Missing semicolon (semicolon)\nLint errors found in the "
        "listed "
        "files.",
    ),
    # ---------------------------------------------------------------- infrastructure
    (
        "infrastructure",
        "fatal: unable to access 'https://github.com/acme/app.git/': Could not resolve host: "
        "github.com",
    ),
    ("infrastructure", "curl: (56) Recv failure: Connection reset by peer\nError: retrying in 10s"),
    (
        "infrastructure",
        'Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: request '
        "canceled while waiting for connection",
    ),
    (
        "infrastructure",
        "npm ERR! network request to https://registry.npmjs.org/react failed, reason: connect "
        "ETIMEDOUT 104.16.0.35:443",
    ),
    (
        "infrastructure",
        "The runner has received a shutdown signal. This can happen when the runner service is "
        "stopped, or a manually started runner is canceled.",
    ),
    (
        "infrastructure",
        "##[error]The hosted runner: GitHub Actions 12 lost communication with the server.",
    ),
    (
        "infrastructure",
        "Could not transfer artifact org.acme:core:pom:1.2 from/to central: Transfer failed: 503 "
        "Service Unavailable",
    ),
    (
        "infrastructure",
        "API rate limit exceeded for 140.82.112.3. (But here's the good news: Authenticated "
        "requests get a higher rate limit.)",
    ),
    (
        "infrastructure",
        "E: Failed to fetch http://archive.ubuntu.com/ubuntu/pool/main/libx.deb  Temporary "
        "failure resolving 'archive.ubuntu.com'",
    ),
    (
        "infrastructure",
        "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502 Bad Gateway",
    ),
    # ---------------------------------------------------------------- timeout
    (
        "timeout",
        "##[error]The job running on runner Hosted Agent has exceeded the maximum execution time "
        "of "
        "360 minutes.",
    ),
    (
        "timeout",
        "No output has been received in the last 10m0s, this potentially indicates a stalled "
        "build or "
        "something wrong with the build itself.",
    ),
    ("timeout", "The job exceeded the maximum time limit for jobs, and has been terminated."),
    ("timeout", "Build timed out (after 60 minutes). Marking the build as failed."),
    ("timeout", "Error: The action 'Run tests' has timed out after 30 minutes."),
    ("timeout", "panic: test timed out after 10m0s\nrunning tests:\n\tTestIntegrationSync (10m0s)"),
    ("timeout", "##[error]The operation was canceled because the step timed out after 45 minutes."),
    # ---------------------------------------------------------------- resource_exhaustion
    (
        "resource_exhaustion",
        "java.lang.OutOfMemoryError: Java heap space\n\tat java.util.Arrays.copyOf",
    ),
    (
        "resource_exhaustion",
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
    ),
    ("resource_exhaustion", "OSError: [Errno 28] No space left on device: '/tmp/build/cache.bin'"),
    ("resource_exhaustion", "##[error]Process completed with exit code 137.\nKilled"),
    ("resource_exhaustion", "c++: fatal error: Killed signal terminated program cc1plus"),
    ("resource_exhaustion", "The process was killed because it ran out of memory (OOMKilled)."),
    ("resource_exhaustion", "java.lang.OutOfMemoryError: GC overhead limit exceeded"),
    (
        "resource_exhaustion",
        "fork: Cannot allocate memory\nError: Process completed with exit code 1.",
    ),
    # ---------------------------------------------------------------- permissions
    (
        "permissions",
        "remote: Permission to acme/app.git denied to github-actions[bot].\nfatal: unable to "
        "access "
        "'https://github.com/acme/app/': The requested URL returned error: 403",
    ),
    ("permissions", "Error: Resource not accessible by integration"),
    (
        "permissions",
        "denied: requested access to the resource is denied\nError: push to ghcr.io/acme/app "
        "failed",
    ),
    (
        "permissions",
        'npm ERR! code E401\nnpm ERR! Unable to authenticate, need: Basic realm="GitHub Package '
        'Registry"',
    ),
    ("permissions", "/bin/sh: 1: ./gradlew: Permission denied"),
    (
        "permissions",
        "[ERROR] Failed to deploy artifacts: Could not transfer artifact: status code: 401, "
        "reason phrase: Unauthorized (401)",
    ),
    (
        "permissions",
        "HttpError: Bad credentials\n    at /home/runner/work/_actions/acme/release/v1/index.js:9",
    ),
    ("permissions", "EACCES: permission denied, mkdir '/usr/local/lib/node_modules/acme'"),
    # ---------------------------------------------------------------- configuration
    ("configuration", "##[error]Input required and not supplied: distribution"),
    (
        "configuration",
        "Invalid workflow file: .github/workflows/ci.yml#L12\nThe workflow is not valid. "
        "Unexpected "
        "value 'run-on'",
    ),
    (
        "configuration",
        "##[error]Unable to resolve action `acme/setup-tool@v9`, unable to find version `v9`",
    ),
    (
        "configuration",
        "Error: The secret AWS_ACCESS_KEY_ID is not set. Add it under Settings > Secrets.",
    ),
    (
        "configuration",
        "/home/runner/work/_temp/abc.sh: line 3: ./scripts/deploy.sh: No such file or directory\n"
        "##[error]Process completed with exit code 127.",
    ),
    ("configuration", "bash: mvnw: command not found"),
    (
        "configuration",
        '[ERROR] Unknown lifecycle phase "verfy". You must specify a valid lifecycle phase or a '
        "goal",
    ),
    (
        "configuration",
        "[ERROR] The goal you specified requires a project to execute but there is no POM in this "
        "directory (/home/runner/work/app).",
    ),
    ("configuration", "Error: environment variable DATABASE_URL is required but was not set"),
    (
        "configuration",
        "Unrecognized named-value: 'secret'. Located at position 1 within expression: secret.TOKEN",
    ),
    # ---------------------------------------------------------------- cancelled
    ("cancelled", "##[error]The operation was canceled."),
    ("cancelled", "Error: The operation was canceled.\nCleaning up orphan processes"),
    ("cancelled", "The run was canceled by @octocat."),
    (
        "cancelled",
        "Canceling since a higher priority waiting request for 'ci-refs/heads/main' exists",
    ),
    ("cancelled", "Job was cancelled"),
)
