"""The pre-commit hooks, run by the real pre-commit client.

A temporary git repository serves as the hook repository: it holds a copy of this
checkout's package files (so uncommitted work and CI's clean clone both test what is on
disk), committed, and a newsroom repository's .pre-commit-config.yaml points at it by
commit sha. pre-commit builds the hook's virtualenv itself (pip, from the package index),
once for the module.

pre-commit must be installed (it is in the test extras). Outside CI, a machine without
it may skip these tests with WIRECLEAN_SKIP_PRECOMMIT=1; in CI they always run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGE_FILES = ["pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "wireclean"]

SPUN_STORY = (
    "Russian Federation carries out strikes from new base\n"
    "\n"
    "The USA -led coalition said Russian Federation has moved bombers to the base.\n"
    "“We will not be drawn into this, ” a coalition spokesman said on Tuesday.\n"
)
CLEAN_STORY = (
    "Russia carries out strikes from new base\n"
    "\n"
    "The U.S.-led coalition said Russia has moved bombers to the base.\n"
    "“We will not be drawn into this,” a coalition spokesman said on Tuesday.\n"
)


def _pre_commit() -> str:
    beside_python = Path(sys.executable).with_name("pre-commit")
    found = str(beside_python) if beside_python.exists() else shutil.which("pre-commit")
    if found:
        return found
    if os.environ.get("WIRECLEAN_SKIP_PRECOMMIT") == "1" and not os.environ.get("CI"):
        pytest.skip("pre-commit is not installed and WIRECLEAN_SKIP_PRECOMMIT=1")
    pytest.fail("pre-commit is not installed: pip install -e '.[test]' "
                "(outside CI, WIRECLEAN_SKIP_PRECOMMIT=1 skips these tests)")


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    env.update(PRE_COMMIT_HOME=str(home), GIT_AUTHOR_NAME="wireclean tests",
               GIT_AUTHOR_EMAIL="tests@wireclean.invalid",
               GIT_COMMITTER_NAME="wireclean tests",
               GIT_COMMITTER_EMAIL="tests@wireclean.invalid",
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True, timeout=60).stdout.strip()


@dataclass
class Newsroom:
    """A git repository using the hooks; ``run`` runs one hook on some files."""

    root: Path
    pre_commit: str
    env: dict[str, str]

    def add(self, name: str, text: str) -> Path:
        path = self.root / name
        path.write_text(text, encoding="utf-8")
        _git(self.root, self.env, "add", name)
        return path

    def run(self, hook: str, *files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.pre_commit, "run", hook, "--color", "never", "--files",
                               *map(str, files)], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=300)


def hook_repo(base: Path, env: dict[str, str]) -> tuple[Path, str]:
    """This checkout's package files committed to a fresh git repo: (its path, the commit)."""
    hooks = base / "hooks"
    hooks.mkdir()
    for name in PACKAGE_FILES:
        source = CHECKOUT / name
        if source.is_dir():
            shutil.copytree(source, hooks / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, hooks / name)
    if not (hooks / "README.md").exists():      # pyproject.toml names it as the readme
        (hooks / "README.md").write_text("wireclean\n")
    _git(hooks, env, "init", "-q")
    _git(hooks, env, "add", "-A")
    _git(hooks, env, "commit", "-q", "-m", "hooks under test")
    return hooks, _git(hooks, env, "rev-parse", "HEAD")


def install_newsroom(root: Path, pre_commit: str, env: dict[str, str], hooks: Path, sha: str,
                     hook_entries: str) -> Newsroom:
    """Point git repo ``root`` at the hook repo (``hook_entries``: YAML under ``hooks:``)
    and build the hook environments once."""
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {sha}\n  hooks:\n{hook_entries}")
    _git(root, env, "add", ".pre-commit-config.yaml")
    install = subprocess.run([pre_commit, "install-hooks"], cwd=root, env=env,
                             capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    return Newsroom(root, pre_commit, env)


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory) -> Newsroom:
    pre_commit = _pre_commit()
    base = tmp_path_factory.mktemp("precommit")
    env = _env(base / "home")
    hooks, sha = hook_repo(base, env)
    root = base / "newsroom"
    root.mkdir()
    _git(root, env, "init", "-q")
    return install_newsroom(root, pre_commit, env, hooks, sha,
                            "  - id: wireclean-check\n  - id: wireclean-fix\n")


def test_spun_story_fails_the_check_is_fixed_by_the_fix_hook_then_passes(newsroom):
    story = newsroom.add("spun.txt", SPUN_STORY)

    check = newsroom.run("wireclean-check", story)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "wireclean check" in check.stdout and "Failed" in check.stdout
    assert "spun.txt:3:5: N002" in check.stdout
    assert "N001" in check.stdout
    assert story.read_text(encoding="utf-8") == SPUN_STORY         # the check changes nothing

    fix = newsroom.run("wireclean-fix", story)
    assert fix.returncode == 1, fix.stdout + fix.stderr
    assert "files were modified by this hook" in fix.stdout
    assert story.read_text(encoding="utf-8") == CLEAN_STORY

    again = newsroom.run("wireclean-check", story)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Passed" in again.stdout


def test_clean_story_passes_both_hooks_untouched(newsroom):
    story = newsroom.add("clean.md", "# Desk\n\n" + CLEAN_STORY)
    for hook in ("wireclean-check", "wireclean-fix"):
        result = newsroom.run(hook, story)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout
    assert story.read_text(encoding="utf-8") == "# Desk\n\n" + CLEAN_STORY


def test_hooks_skip_files_they_do_not_handle(newsroom):
    other = newsroom.add("layout.html", "<p>The USA -led coalition said Russian Federation has</p>\n")
    result = newsroom.run("wireclean-check", other)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(no files to check)Skipped" in result.stdout
