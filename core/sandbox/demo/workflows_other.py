"""Workflow files of the demo repository other than CI: the nightly, release and CodeQL
workflows and dependabot.yml (kept apart from ``demo_yaml`` only to keep modules short).
"""

from __future__ import annotations

__all__ = ["CODEQL", "DEPENDABOT", "NIGHTLY", "RELEASE"]

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
