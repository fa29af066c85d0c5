"""[tool.wireclean] in pyproject.toml: found like ruff finds its own, overridden by flags."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wireclean import config
from wireclean.cli import main

SPUN = "A USA -led coalition said Russian Federation has sent more jets.\n"
FIXED = "A U.S.-led coalition said Russia has sent more jets.\n"


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def write(name: str, content: str) -> Path:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


def pyproject(directory: str, body: str) -> Path:
    return write(f"{directory}/pyproject.toml", "[project]\nname = 'desk'\n\n" + body)


def run(*args):
    result = CliRunner().invoke(main, ["fix", *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def rules(result) -> list[str]:
    return [line.split()[1] for line in result.stdout.splitlines()]


# ------------------------------------------------------------------ finding the file

def test_nearest_pyproject_with_the_table_wins(tmp_path):
    pyproject("repo", "[tool.wireclean]\nstyle = 'ap'\n")
    pyproject("repo/desk", "[tool.black]\nline-length = 99\n")   # no [tool.wireclean]
    write("repo/desk/stories/a.txt", SPUN)
    assert config.find(["repo/desk/stories/a.txt"]) == str(tmp_path / "repo/pyproject.toml")
    pyproject("repo/desk/stories", "[tool.wireclean]\nstyle = 'guardian'\n")
    assert config.find(["repo/desk/stories/a.txt"]) == \
        str(tmp_path / "repo/desk/stories/pyproject.toml")


def test_search_starts_from_the_common_directory_of_the_paths(tmp_path):
    pyproject("repo", "[tool.wireclean]\n")
    write("repo/a/x.txt", SPUN)
    write("repo/b/y.txt", SPUN)
    assert config.find(["repo/a/x.txt", "repo/b"]) == str(tmp_path / "repo/pyproject.toml")
    assert config.find(["-"], cwd=str(tmp_path / "repo/a")) == \
        str(tmp_path / "repo/pyproject.toml")


def test_no_file_means_defaults(tmp_path):
    write("a.txt", SPUN)
    found = config.find(["a.txt"])
    assert found is None or not found.startswith(str(tmp_path))


def test_load_reads_every_key():
    path = pyproject(".", """[tool.wireclean]
style = "reuters"
select = ["entities", "S001"]
extend-select = ["boilerplate"]
ignore = ["N004"]
protected = ["Hotel Russian Federation"]
text-field = "body"
extensions = { ndjson = "jsonl", ".text" = "txt" }
""")
    settings = config.load(str(path))
    assert settings == config.Settings(
        path=str(path), style="reuters", select=("entities", "S001"),
        extend_select=("boilerplate",), ignore=("N004",),
        protected=("Hotel Russian Federation",), text_field="body",
        extensions={".ndjson": "jsonl", ".text": "txt"})


@pytest.mark.parametrize("body, message", [
    ("stlye = 'ap'", "unknown key 'stlye'"),
    ("text_field = 'body'", "did you mean 'text-field'?"),
    ("style = 'bbc'", "style = 'bbc': choose one of auto, ap, reuters, guardian"),
    ("select = 'S001'", "select must be a list of strings"),
    ("protected = [1, 2]", "protected must be a list of strings"),
    ("extensions = { ndjson = 'json' }", "extensions: ndjson = 'json'"),
    ("style = ", "not valid TOML"),
])
def test_bad_config_is_a_clear_error(body, message):
    path = pyproject(".", "[tool.wireclean]\n" + body + "\n")
    with pytest.raises(config.ConfigError, match=message.replace("?", r"\?")):
        config.load(str(path))


# ------------------------------------------------------------------ through the CLI

def test_config_style_applies_and_the_flag_overrides_it():
    pyproject(".", "[tool.wireclean]\nstyle = 'guardian'\n")
    path = write("a.txt", SPUN)
    run(path)
    assert path.read_text() == "A US-led coalition said Russia has sent more jets.\n"
    write("b.txt", SPUN)
    run("--style", "ap", "b.txt")
    assert Path("b.txt").read_text() == FIXED


def test_config_ignore_applies_and_a_cli_select_starts_over():
    pyproject(".", "[tool.wireclean]\nignore = ['N001']\n")
    write("a.txt", SPUN)
    assert rules(run("--check", "a.txt")) == ["N002"]
    assert rules(run("--check", "--ignore", "N002,S", "a.txt")) == []    # both ignores apply
    assert rules(run("--check", "--select", "N001", "a.txt")) == ["N001"]


def test_config_select_limits_the_rules():
    pyproject(".", "[tool.wireclean]\nselect = ['N001']\n")
    write("a.txt", SPUN)
    assert rules(run("--check", "a.txt")) == ["N001"]
    assert rules(run("--check", "--extend-select", "N002", "a.txt")) == ["N002", "N001"]


def test_config_protected_names_are_left_alone():
    text = "A USA -led coalition met Hotel Russian Federation guests.\n"
    write("a.txt", text)
    assert rules(run("--check", "a.txt")) == ["N002", "N001"]
    pyproject(".", "[tool.wireclean]\nprotected = ['Hotel Russian Federation']\n")
    assert rules(run("--check", "a.txt")) == ["N002"]


def test_config_text_field_and_extensions():
    pyproject(".", "[tool.wireclean]\ntext-field = 'body'\nextensions = { ndjson = 'jsonl' }\n")
    path = write("feeds/wire.ndjson", '{"text": "USA -led", "body": "' + SPUN.strip() + '"}\n')
    result = run("feeds")
    assert result.exit_code == 0
    assert path.read_text() == '{"text": "USA -led", "body": "' + FIXED.strip() + '"}\n'


def test_explicit_config_file():
    write("elsewhere/settings.toml", "[tool.wireclean]\nstyle = 'guardian'\n")
    path = write("a.txt", SPUN)
    run("--config", "elsewhere/settings.toml", path)
    assert path.read_text() == "A US-led coalition said Russia has sent more jets.\n"


def test_bad_config_exits_2_naming_the_file_and_changes_nothing():
    pyproject(".", "[tool.wireclean]\nstyel = 'ap'\n")
    path = write("a.txt", SPUN)
    result = run(path)
    assert result.exit_code == 2
    assert "pyproject.toml: [tool.wireclean]: unknown key 'styel'" in result.stderr
    assert "Traceback" not in result.stderr
    assert path.read_text() == SPUN


def test_unknown_rule_in_config_names_the_file():
    pyproject(".", "[tool.wireclean]\nignore = ['Q123']\n")
    result = run(write("a.txt", SPUN))
    assert result.exit_code == 2
    assert "pyproject.toml: ignore" in result.stderr and "Q123" in result.stderr
