"""The wireclean-dedup hook, run by the real pre-commit client against an archive index.

Same set-up as tests/test_precommit.py (whose helpers are reused): this checkout's package
files, committed to a temporary hook repository; a newsroom repository whose config uses
the hook with ``args: [--against, archive.db]``; the index built by ``wireclean index add``
from an archive story.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from test_precommit import Newsroom, _env, _git, _pre_commit, hook_repo, install_newsroom

from wireclean.cli import main

ARCHIVE_STORY = (
    "Port talks resume in Geneva\n"
    "\n"
    "Officials from both countries met in Geneva on Tuesday to discuss a grain export deal "
    "that would reopen Black Sea ports, a spokesman for the delegation said.\n"
    "\n"
    "The delegations will meet again next week after consulting their capitals on the "
    "draft text, the spokesman added.\n"
)
REUSING_STORY = (
    "Wheat falls as grain talks resume\n"
    "\n"
    "Analysts said wheat futures fell two percent in Chicago after the news broke late on "
    "Tuesday, erasing most of the gains made earlier in the month.\n"
    "\n"
    "Officials from both countries met in Geneva on Tuesday to discuss a grain export deal "
    "that would reopen Black Sea ports.\n"
)
ORIGINAL_STORY = (
    "Floods force thousands from delta villages\n"
    "\n"
    "Heavy rain flooded dozens of villages in the river delta on Friday, forcing thousands "
    "of families to leave their homes, the regional governor said.\n"
)


@pytest.fixture(scope="module")
def newsroom(tmp_path_factory) -> Newsroom:
    pre_commit = _pre_commit()
    base = tmp_path_factory.mktemp("precommit_dedup")
    env = _env(base / "home")
    hooks, sha = hook_repo(base, env)
    root = base / "newsroom"
    (root / "archive").mkdir(parents=True)
    _git(root, env, "init", "-q")
    (root / "archive" / "port-talks.txt").write_text(ARCHIVE_STORY, encoding="utf-8")
    built = CliRunner().invoke(main, ["index", "add", str(root / "archive.db"),
                                      str(root / "archive")])
    assert built.exit_code == 0, built.output
    return install_newsroom(root, pre_commit, env, hooks, sha,
                            "  - id: wireclean-dedup\n    args: [--against, archive.db]\n"
                            "    exclude: ^archive/\n")


def test_story_reusing_an_archived_paragraph_fails_with_its_location(newsroom):
    story = newsroom.add("wheat.txt", REUSING_STORY)
    result = newsroom.run("wireclean-dedup", story)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "wireclean dedup" in result.stdout and "Failed" in result.stdout
    assert "wheat.txt:5: paragraph matches " in result.stdout
    assert "port-talks.txt \u00b61 (score " in result.stdout


def test_original_story_passes(newsroom):
    story = newsroom.add("floods.md", ORIGINAL_STORY)
    result = newsroom.run("wireclean-dedup", story)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
