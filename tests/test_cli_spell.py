"""``veob spell``: corrections from text files, folders and an IMDB tree; the model cache; error paths."""

import pytest

from veob.cli import main

TEXT = ("The spelling of a word is checked by the spelling corrector. A correct word stays correct. "
        "Words, words, words: the corrector corrects the spelling of words and letters. ")


@pytest.fixture
def sources(tmp_path):
    one = tmp_path / "one.txt"
    one.write_text(TEXT * 3, encoding="utf-8")
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    for i in range(3):
        (folder / "sub" / f"d{i}.txt").write_text("Another document about letters and their correction. " * 2,
                                                  encoding="utf-8")
    (folder / "ignored.md").write_text("zebra zebra zebra zebra", encoding="utf-8")
    return one, folder


def _one_line_error(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_spell_text_files_with_model_cache(sources, tmp_path, capsys):
    one, folder = sources
    words = tmp_path / "words.txt"
    words.write_text("corector\n\n  leters \n", encoding="utf-8")
    model = tmp_path / "model"
    argv = ["spell", "speling", "Wrods", "--vocab-from", str(one), str(folder), "--min-count", "2",
            "--model", str(model), "--file", str(words), "--candidates", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if " -> " in line]
    assert lines == ["speling -> spelling", "Wrods -> Words", "corector -> corrector", "leters -> letters"]
    assert "saved" in out and "zebra" not in out
    assert "    spelling (" in out  # the candidates with their scores
    saved = list(model.glob("spelling-*.veob"))
    assert len(saved) == 1
    again = ["spell", "--vocab-from", str(one), str(folder), "--model", str(model), "--quiet"]
    assert main(again + ["--min-count", "2", "--", "stayz"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["stayz -> stays"]  # --quiet prints the corrections only (loaded from the model)
    assert list(model.glob("spelling-*.veob")) == saved
    # another --min-count is another model
    assert main(again + ["--min-count", "1", "--", "stayz"]) == 0
    assert len(list(model.glob("spelling-*.veob"))) == 2


def test_spell_imdb_tree(tmp_path, capsys):
    root = tmp_path / "aclImdb"
    reviews = {"train/pos/0_9.txt": "A wonderful film with a wonderful story.",
               "train/neg/1_2.txt": "A terrible film, a terrible story and terrible acting.",
               "train/unsup/2_0.txt": "The story of the film is wonderful.",
               "test/pos/3_8.txt": "Wonderful acting in this film.", "test/neg/4_1.txt": "Terrible. Terrible."}
    for name, text in reviews.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    assert main(["spell", "wonderfull", "teribble", "stroy", "--vocab-from", str(root), "--min-count", "2"]) == 0
    out = capsys.readouterr().out
    assert "5 IMDB reviews" in out
    assert [line for line in out.splitlines() if " -> " in line] == \
        ["wonderfull -> wonderful", "teribble -> terrible", "stroy -> story"]


def test_spell_errors(sources, tmp_path, capsys):
    one, folder = sources
    empty = tmp_path / "empty"
    empty.mkdir()
    _one_line_error(capsys, ["spell", "teh"], "required: --vocab-from")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "teh"], "'teh' does not exist")
    _one_line_error(capsys, ["spell", "--vocab-from", str(tmp_path / "nope.txt"), "--", "teh"], "does not exist")
    _one_line_error(capsys, ["spell", "--vocab-from", str(empty), "--", "teh"], "holds no text file")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one)], "no words to correct")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "--min-count", "0", "--", "x"],
                    "--min-count 0 must be >= 1")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "--candidates", "-1", "--", "x"],
                    "--candidates -1 must be >= 0")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "--file", str(tmp_path / "no.txt")],
                    "--file")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "--model", str(one), "--", "x"], "is a file")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "--min-count", "1000", "--quiet", "--", "x"],
                    "no word of the sources is seen 1000 times or more")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "--min-count", "x", "--", "x"],
                    "invalid int value")
    _one_line_error(capsys, ["spell", "--vocab-from", str(one), "--quiet", "--", "ok", ""],
                    "words[1] is an empty string")
