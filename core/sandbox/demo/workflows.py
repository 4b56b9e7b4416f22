"""The repository files served through the contents API: the workflow definitions that the
simulated runs follow (job names, matrices, steps, timeouts, concurrency) and dependabot.yml.

Data, not logic: each workflow is the YAML text GitHub would serve for that path.
"""

from __future__ import annotations

__all__ = ["REPO_FILES"]

_CI = """name: CI

on:
  push:
    branches: [main]
  pull_request:

concurrency:
  group: ${{ github.workflow }}-${{ github.event.pull_request.number || github.sha }}
  cancel-in-progress: ${{ github.event_name == 'pull_request' }}

permissions:
  contents: read

jobs:
  changes:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    permissions:
      pull-requests: read
    outputs:
      backend: ${{ steps.filter.outputs.backend }}
      web: ${{ steps.filter.outputs.web }}
      api: ${{ steps.filter.outputs.api }}
      cli: ${{ steps.filter.outputs.cli }}
      ci: ${{ steps.filter.outputs.ci }}
    steps:
      - uses: actions/checkout@v4
      - uses: dorny/paths-filter@v3
        id: filter
        with:
          filters: |
            backend:
              - 'backend/**'
            web:
              - 'web/**'
            api:
              - 'services/api/**'
            cli:
              - 'cli/**'
            ci:
              - '.github/**'
              - 'Makefile'

  lint:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - name: Set up Python 3.12
        uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          cache: pip
          cache-dependency-path: backend/requirements*.txt
      - name: Set up Node.js
        uses: actions/setup-node@v4
        with:
          node-version-file: web/.nvmrc
          cache: npm
          cache-dependency-path: web/package-lock.json
      - name: Install tooling
        run: |
          pip install -r backend/requirements-dev.txt
          npm ci --prefix web
      - name: Ruff
        run: |
          ruff check backend/
          ruff format --check backend/
      - name: Mypy
        run: mypy backend/app
      - name: ESLint
        working-directory: web
        run: npx eslint . --max-warnings 0
      - name: Type-check web
        working-directory: web
        run: npx tsc --noEmit

  backend-tests:
    needs: changes
    if: >-
      github.event_name == 'push' || needs.changes.outputs.backend == 'true' ||
      needs.changes.outputs.ci == 'true'
    runs-on: ${{ matrix.os }}
    timeout-minutes: 20
    strategy:
      fail-fast: false
      matrix:
        include:
          - python: "3.11"
            os: ubuntu-22.04
          - python: "3.12"
            os: ubuntu-latest
    name: backend-tests (${{ matrix.python }})
    services:
      postgres:
        image: postgres:16
        env:
          POSTGRES_PASSWORD: postgres
          POSTGRES_DB: shopfront_test
        ports: ["5432:5432"]
        options: >-
          --health-cmd pg_isready --health-interval 10s --health-timeout 5s --health-retries 5
    steps:
      - uses: actions/checkout@v4
      - name: Set up Python ${{ matrix.python }}
        uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python }}
          cache: pip
          cache-dependency-path: backend/requirements*.txt
      - name: Install dependencies
        run: |
          python -m pip install --upgrade pip
          pip install -r backend/requirements.txt -r backend/requirements-test.txt
      - name: Run pytest
        working-directory: backend
        run: python -m pytest -p no:cacheprovider --junitxml=reports/pytest-${{ matrix.python }}.xml
      - name: Upload test results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: pytest-results-${{ matrix.python }}
          path: backend/reports/

  frontend-tests:
    needs: changes
    if: >-
      github.event_name == 'push' || needs.changes.outputs.web == 'true' ||
      needs.changes.outputs.ci == 'true'
    runs-on: ubuntu-latest
    timeout-minutes: 15
    steps:
      - uses: actions/checkout@v4
      - name: Set up Node.js
        uses: actions/setup-node@v4
        with:
          node-version-file: web/.nvmrc
          cache: npm
          cache-dependency-path: web/package-lock.json
      - name: Install dependencies
        run: npm ci --prefix web
      - name: Run jest
        working-directory: web
        run: npx jest --ci --reporters=default --reporters=jest-junit
      - name: Upload test results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: jest-results
          path: web/junit.xml

  api-service:
    needs: changes
    if: >-
      github.event_name == 'push' || needs.changes.outputs.api == 'true' ||
      needs.changes.outputs.ci == 'true'
    runs-on: ubuntu-latest
    timeout-minutes: 25
    defaults:
      run:
        working-directory: services/api
    steps:
      - uses: actions/checkout@v4
      - name: Set up JDK 21
        uses: actions/setup-java@v4
        with:
          distribution: temurin
          java-version: "21"
          cache: maven
          cache-dependency-path: services/api/pom.xml
      - name: Build and test
        run: mvn -B -ntp verify
      - name: Merge test reports
        if: always()
        run: >-
          npx --yes junit-report-merger target/TEST-shopfront-api.xml
          "target/surefire-reports/TEST-*.xml"
      - name: Upload test results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: surefire-reports
          path: services/api/target/TEST-shopfront-api.xml

  cli:
    needs: changes
    if: >-
      github.event_name == 'push' || needs.changes.outputs.cli == 'true' ||
      needs.changes.outputs.ci == 'true'
    runs-on: ${{ matrix.os }}
    timeout-minutes: 10
    strategy:
      fail-fast: false
      matrix:
        os: [ubuntu-latest, macos-14]
    defaults:
      run:
        working-directory: cli
    steps:
      - uses: actions/checkout@v4
      - name: Set up Go
        uses: actions/setup-go@v5
        with:
          go-version-file: cli/go.mod
          cache-dependency-path: cli/go.sum
      - name: Download modules
        run: |
          go mod download
          go mod verify
      - name: Vet
        run: go vet ./...
      - name: Test
        run: go test -v -race ./... 2>&1 | go-junit-report -set-exit-code -iocopy -out report.xml
      - name: Upload test results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: go-test-results-${{ matrix.os }}
          path: cli/report.xml

  build-docker:
    if: github.event_name == 'push'
    needs: [backend-tests, frontend-tests, api-service]
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
      - name: Set up Docker Buildx
        uses: docker/setup-buildx-action@v3
      - name: Build image
        uses: docker/build-push-action@v6
        with:
          context: .
          file: backend/Dockerfile
          push: false
          tags: ghcr.io/acme-labs/shopfront-backend:sha-${{ github.sha }}
          cache-from: type=gha
          cache-to: type=gha,mode=max
"""

NIGHTLY = """name: Nightly

on:
  schedule:
    - cron: "17 3 * * *"
  workflow_dispatch:

permissions:
  contents: read

jobs:
  e2e:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - name: Set up Python 3.12
        uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          cache: pip
      - name: Install dependencies
        run: |
          python -m pip install --upgrade pip
          pip install -r backend/requirements.txt -r backend/requirements-test.txt
          pip install pytest-playwright==0.6.2
      - name: Install Playwright browsers
        run: python -m playwright install --with-deps chromium webkit
      - name: Start stack
        run: docker compose -f deploy/docker-compose.e2e.yml up -d --wait
      - name: Run end-to-end tests
        working-directory: backend
        run: >-
          python -m pytest tests/e2e --browser chromium --browser webkit
          --junitxml=reports/e2e.xml
      - name: Upload test results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: e2e-results
          path: backend/reports/

  backend-tests:
    name: backend-tests (windows-latest)
    runs-on: windows-latest
    timeout-minutes: 25
    steps:
      - uses: actions/checkout@v4
      - name: Set up Python 3.12
        uses: actions/setup-python@v5
        with:
          python-version: "3.12"
          cache: pip
      - name: Install dependencies
        run: |
          python -m pip install --upgrade pip
          pip install -r backend/requirements.txt -r backend/requirements-test.txt
      - name: Run pytest
        working-directory: backend
        run: python -m pytest -p no:cacheprovider --junitxml=reports/pytest-windows.xml
      - name: Upload test results
        if: always()
        uses: actions/upload-artifact@v4
        with:
          name: pytest-results-windows
          path: backend/reports/

"""

RELEASE = """name: Release

on:
  push:
    tags: ["v*"]
  workflow_dispatch:

permissions:
  contents: write
  packages: write

jobs:
  publish-images:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - name: Log in to GHCR
        uses: docker/login-action@v3
        with:
          registry: ghcr.io
          username: ${{ github.actor }}
          password: ${{ secrets.GITHUB_TOKEN }}
      - name: Set up Docker Buildx
        uses: docker/setup-buildx-action@v3
      - name: Build and push
        uses: docker/build-push-action@v6
        with:
          context: .
          file: backend/Dockerfile
          push: true
          tags: ghcr.io/acme-labs/shopfront-backend:${{ github.ref_name }}

  release-cli:
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - name: Set up Go
        uses: actions/setup-go@v5
        with:
          go-version-file: cli/go.mod
      - name: Run GoReleaser
        uses: goreleaser/goreleaser-action@v6
        with:
          distribution: goreleaser
          version: "~> v2"
          args: release --clean
          workdir: cli
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}
"""

CODEQL = """name: CodeQL

on:
  push:
    branches: [main]
  schedule:
    - cron: "24 5 * * 1"

permissions:
  actions: read
  contents: read
  security-events: write

jobs:
  analyze:
    runs-on: ubuntu-latest
    timeout-minutes: 30
    strategy:
      fail-fast: false
      matrix:
        language: [python, javascript-typescript]
    steps:
      - uses: actions/checkout@v4
      - name: Initialize CodeQL
        uses: github/codeql-action/init@v3
        with:
          languages: ${{ matrix.language }}
          build-mode: none
      - name: Perform CodeQL Analysis
        uses: github/codeql-action/analyze@v3
        with:
          category: /language:${{ matrix.language }}
"""

DEPENDABOT = """version: 2
updates:
  - package-ecosystem: npm
    directory: /web
    schedule: {interval: weekly, day: monday}
  - package-ecosystem: pip
    directory: /backend
    schedule: {interval: weekly, day: monday}
  - package-ecosystem: maven
    directory: /services/api
    schedule: {interval: weekly, day: monday}
  - package-ecosystem: gomod
    directory: /cli
    schedule: {interval: weekly, day: monday}
  - package-ecosystem: github-actions
    directory: /
    schedule: {interval: weekly, day: monday}
"""

# Who reviews what: GitHub reads the file top to bottom and the last matching line wins, so the
# catch-all comes first and the narrower folders after it (the e2e suite is QA's, inside the
# backend's folder). The Flaky Tests quarantine list takes each test's owners from it.
CODEOWNERS = """\
# shopfront code owners: the last matching pattern takes precedence.
*                       @acme-labs/platform
/backend/               @acme-labs/backend
/backend/tests/e2e/     @acme-labs/qa
/web/                   @acme-labs/web
/services/api/          @acme-labs/api
/cli/                   @acme-labs/cli @acme-labs/platform
*.md                    @acme-labs/docs
"""

REPO_FILES: dict[str, str] = {
    ".github/workflows/ci.yml": _CI,
    ".github/workflows/nightly.yml": NIGHTLY,
    ".github/workflows/release.yml": RELEASE,
    ".github/workflows/codeql.yml": CODEQL,
    ".github/dependabot.yml": DEPENDABOT,
    ".github/CODEOWNERS": CODEOWNERS,
    "web/.nvmrc": "22.12.0\n",
}
