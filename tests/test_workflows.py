"""The GitHub Actions workflows: this repository's and the one `init` writes, read as YAML.

actionlint is not installable from the package registries here (its Python
package fetches the program while it installs), so these tests read the keys
that matter instead: triggers, jobs, permissions, caches, the commands run.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import REPO, run

WORKFLOWS = REPO / ".github" / "workflows"
STARTER = REPO / "policysite" / "starter" / "github" / "workflows" / "publish.yml"
PUBLISHING = {"site.yml": WORKFLOWS / "site.yml", "init's publish.yml": STARTER}


def load(path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(job: dict) -> list[dict]:
    return job.get("steps", [])


def commands(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in steps(job))


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(job) if "uses" in step]


def test_init_writes_the_publishing_workflow(tmp_path):
    assert run("init", tmp_path / "s", "--title", "T").code == 0
    assert (tmp_path / "s" / ".github" / "workflows" / "publish.yml").read_text() == STARTER.read_text()


def test_every_workflow_is_yaml_with_jobs_and_no_default_permissions():
    files = sorted(WORKFLOWS.glob("*.yml")) + [STARTER]
    assert {p.name for p in files} == {"site.yml", "tests.yml", "lowest-deps.yml", "release.yml", "publish.yml"}
    for path in files:
        data = load(path)
        assert data["permissions"] == {}, path        # each job asks for its own
        assert data["jobs"], path
        for name, job in data["jobs"].items():
            assert "permissions" in job, (path, name)
            assert "write-all" not in str(job["permissions"]), (path, name)
            for step in steps(job):
                assert "pyproject" not in str(step.get("with", {}).get("cache-dependency-path", "")), (path, name)


@pytest.mark.parametrize("name", PUBLISHING)
def test_publishing_workflow_checks_pull_requests_and_deploys_main(name):
    data = load(PUBLISHING[name])
    assert set(data["on"]) >= {"pull_request", "push", "schedule"}
    assert data["on"]["push"]["branches"] == ["main"]
    assert data["on"]["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]   # every day
    assert "concurrency" in data and data["concurrency"]["group"]
    jobs = data["jobs"]
    assert set(jobs) == {"check", "build", "deploy"}

    check = jobs["check"]
    if name == "init's publish.yml":   # it runs on main too, which keeps a build cache for pull requests to start from
        assert check["if"] == "github.event_name == 'pull_request' || github.ref == 'refs/heads/main'"
        upload = next(s for s in steps(check) if s.get("uses", "").startswith("actions/upload-artifact"))
        assert upload["if"] == "github.event_name == 'pull_request'"
    else:
        assert check["if"] == "github.event_name == 'pull_request'"
    assert check["permissions"] == {"contents": "read"}
    run_text = commands(check)
    assert "policysite check . --strict --format github --summary \"$GITHUB_STEP_SUMMARY\"" in run_text
    assert "policysite build" in run_text
    assert "actions/upload-artifact" in uses(check)

    build = jobs["build"]
    assert "github.event_name != 'pull_request'" in build["if"] and "refs/heads/main" in build["if"]
    assert build["permissions"] == {"contents": "read", "pages": "read"}   # configure-pages in a private repository
    assert uses(build)[-2:] == ["actions/configure-pages", "actions/upload-pages-artifact"]
    assert "--base-url" in commands(build) and "SOURCE_DATE_EPOCH" not in commands(build)

    deploy = jobs["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert uses(deploy) == ["actions/deploy-pages"]
    assert deploy["concurrency"]["cancel-in-progress"] is False

    for job in jobs.values():
        text = commands(job)
        assert "pytest" not in text and "[test]" not in text          # no generator tests here
        for step in steps(job):
            if step.get("uses", "").startswith("actions/cache"):
                assert ".policysite-cache" in step["with"]["path"].split()


def test_init_workflow_installs_the_pinned_release_with_a_requirements_keyed_cache():
    data = load(STARTER)
    keys = {}
    for name in ("check", "build"):
        job = data["jobs"][name]
        python = next(s for s in steps(job) if s.get("uses", "").startswith("actions/setup-python"))
        assert python["with"]["cache"] == "pip" and python["with"]["cache-dependency-path"] == "requirements.txt"
        assert "pip install -r requirements.txt" in commands(job)
        cache = next(s for s in steps(job) if s.get("uses", "").startswith("actions/cache"))
        key = cache["with"]["key"]
        assert "hashFiles('requirements.txt')" in key and "steps.policysite.outputs.version" in key
        assert cache["with"]["restore-keys"].strip() in key          # a new version or pin starts clean
        # The output too: on a fresh checkout it is what unchanged pages are taken from.
        # Each job its own, since each builds for its own address.
        assert cache["with"]["path"].split() == [".policysite-cache", "_site"]
        assert "--output _site" in commands(job)
        keys[name] = key
    assert keys["check"].split("-$")[0] != keys["build"].split("-$")[0]


def test_site_workflow_installs_from_this_checkout_with_the_compiled_theme():
    data = load(WORKFLOWS / "site.yml")
    for name in ("check", "build"):
        text = commands(data["jobs"][name])
        assert text.index("npm ci") < text.index("npm run build:theme") < text.index("pip install .")


def test_tests_workflow_runs_the_test_suite_apart_from_the_site():
    data = load(WORKFLOWS / "tests.yml")
    assert set(data["on"]) >= {"pull_request", "push"}
    text = commands(data["jobs"]["test"])
    assert "pip install -e '.[test]'" in text and "python -m pytest" in text
    readme = (REPO / "README.md").read_text()
    test_command = text.splitlines()[-1].strip()
    assert test_command in readme            # the README's test command, as written there


def test_release_workflow_builds_checks_and_attaches_the_wheel_on_version_tags():
    data = load(WORKFLOWS / "release.yml")
    assert data["on"] == {"push": {"tags": ["v*.*.*"]}}
    job = data["jobs"]["release"]
    assert job["permissions"] == {"contents": "write"}
    text = commands(job)
    assert "python -m build" not in text        # build.py in the root would shadow the build package
    order = ["npm ci", "npm run build:theme", "pyproject-build", "policysite/theme/assets/govuk/theme.css",
             "policysite init", "gh release create"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    python = next(s for s in steps(job) if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    assert "actions/setup-node" in uses(job)
