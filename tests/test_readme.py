"""The README stays true: every setting is in its configuration table, every command exists."""
from pathlib import Path

from click.testing import CliRunner

from emarket.cli import main
from emarket.config import markdown_table

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_configuration_table_is_the_settings_as_declared():
    """Every setting with its default and meaning, in emarket/config.py's order: regenerate it
    with `python -m emarket.config` when a setting changes."""
    assert markdown_table() in README


def test_every_documented_emarket_command_exists():
    for command in (["db", "upgrade"], ["db", "check"], ["db", "shell"], ["keys", "generate"], ["users", "create-admin"],
                    ["wallet", "credit"], ["bank", "create-account"], ["saga", "show"], ["saga", "stuck"], ["saga", "audit"], ["up"]):
        result = CliRunner().invoke(main, [*command, "--help"])
        assert result.exit_code == 0, (command, result.output)
        assert " ".join(command[-1:]) in README
