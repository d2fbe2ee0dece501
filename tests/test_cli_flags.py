"""One spelling per flag, errors naming CLI flags, no empty --out folder after a failed run (issue 19)."""

import pytest

from veob.cli import _commands, _parser, main

STORE_COMMANDS = ["demo", "words", "context", "dictionary", "sentences", "mnist", "pendigits", "compose"]


def _one_line_error(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err, err
    assert "\n" not in err and "Traceback" not in err
    return err


@pytest.fixture(scope="module")
def parsers():
    parser, _ = _parser(_commands())
    return parser


def test_one_store_flag_everywhere_with_hidden_deprecated_aliases(parsers, capsys):
    for command in STORE_COMMANDS:
        extra = ["--label", "pos"] if command == "compose" else []
        args = parsers.parse_args([command, "--no-store"] + extra)
        assert args.no_store is True, command
        assert parsers.parse_args([command] + extra).no_store is False, command
    args = parsers.parse_args(["mnist", "--no-chroma"])
    assert args.no_store is True
    assert "--no-chroma is deprecated" in capsys.readouterr().err
    args = parsers.parse_args(["compose", "--label", "pos", "--store"])
    assert args.no_store is False  # storing is the default now
    assert "--store is deprecated" in capsys.readouterr().err
    sub = parsers._subparsers._group_actions[0].choices
    for command in STORE_COMMANDS:
        text = sub[command].format_help()
        assert "--no-store" in text and "--no-chroma" not in text and "--store " not in text, command


def test_data_pointing_to_a_file_says_so_and_leaves_no_out_folder(tmp_path, capsys, monkeypatch):
    f = tmp_path / "mnist.gz"
    f.write_bytes(b"x")
    out = tmp_path / "runs" / "mnist"
    _one_line_error(capsys, ["mnist", "--data", str(f), "--out", str(out)],
                    f"--data {str(f)!r} is a file, expected a folder")
    monkeypatch.setenv("VEOB_DATA", str(f))
    _one_line_error(capsys, ["pendigits", "--out", str(out)], f"VEOB_DATA {str(f)!r} is a file, expected a folder")
    assert not (tmp_path / "runs").exists()


def test_failed_run_after_the_out_folder_was_made_removes_it(tmp_path, capsys):
    empty = tmp_path / "data"
    empty.mkdir()
    out = tmp_path / "new" / "report"
    assert main(["mnist", "--data", str(empty), "--out", str(out), "--no-store"]) == 2
    assert "mnist" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()  # created by the run, empty: removed
    kept = tmp_path / "kept"
    kept.mkdir()
    assert main(["mnist", "--data", str(empty), "--out", str(kept), "--no-store"]) == 2
    assert kept.is_dir()  # it existed before the run: left alone


def test_help_and_readme_quote_the_measured_patch_pipeline_times(parsers):
    # issue 19: --help said "~2 minutes", the README "~3.5 min", the run took 8.5 min under load
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    table = (root / "docs" / "images.md").read_text()
    seconds = {kind: re.search(rf"^\| {kind} \| \*\*[0-9.]+ %\*\* \| [0-9.]+ % \| (\d+) s \|", table, re.M).group(1)
               for kind in ("digits", "fashion")}
    help_text = " ".join(parsers._subparsers._group_actions[0].choices["mnist"].format_help().split())
    readme = (root / "README.md").read_text()
    for kind, s in seconds.items():
        assert f"{s} s {kind}" in help_text, (kind, s)
    assert f"in {seconds['digits']} s / {seconds['fashion']} s" in readme
    assert "docs/images.md" in help_text
