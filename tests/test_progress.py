"""progress=True shows every stage on stderr; the default and --quiet stay silent (issue 19)."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

pytest.importorskip("tqdm")

from veob.experiments import evaluate_patch_pipeline  # noqa: E402
from veob.images import PatchEmbedder  # noqa: E402
from veob.models import LeastSquaresClassifier  # noqa: E402
from veob.text import ReviewComposer  # noqa: E402

DIGITS = load_digits()


def _embedder(**kw):
    return PatchEmbedder(patch_size=3, n_filters=(2, 2), block_size=4, hist_components=4, batch_size=100,
                         random_state=0, **kw)


def test_patch_embedder_and_least_squares_show_their_stages(capsys):
    images = DIGITS.images[:300] / 16.0
    emb = _embedder(progress=True).fit(images)
    err = capsys.readouterr().err
    assert "PatchEmbedder.fit: stage-1 filters" in err and "stage-2 filters" in err and "block histograms" in err
    F = emb.transform(images)
    err = capsys.readouterr().err
    assert "PatchEmbedder.transform" in err and "/300 " in err  # images done / total
    LeastSquaresClassifier(n_components=64, random_state=0, progress=True).fit(F, DIGITS.target[:300])
    err = capsys.readouterr().err
    assert "LeastSquaresClassifier.fit: Nystroem features (64 landmarks)" in err and "solve" in err
    # the default is silent, and the outputs do not depend on the bars
    quiet = _embedder().fit(images)
    np.testing.assert_array_equal(quiet.transform(images), F)
    LeastSquaresClassifier(n_components=64, random_state=0).fit(F, DIGITS.target[:300])
    assert capsys.readouterr().err == ""
    with pytest.raises(TypeError, match="progress='yes' must be True or False"):
        _embedder(progress="yes").fit(images)


def test_patch_pipeline_progress_covers_every_stage(capsys):
    result = evaluate_patch_pipeline(DIGITS.images[:400], DIGITS.target[:400], DIGITS.images[400:500],
                                     DIGITS.target[400:500], embedder=_embedder(),
                                     classifier=LeastSquaresClassifier(n_components=32, random_state=0),
                                     scale=16.0, progress=True)
    err = capsys.readouterr().err
    for name in ("stage-1 filters", "PatchEmbedder.transform", "Nystroem features", "solve", "predicting 100"):
        assert name in err, name
    assert result["test_top1"] > 0.5


def test_review_composer_fit_shows_its_stages(capsys):
    texts = ["a great film . i loved it ."] * 20 + ["a dull film . i hated it ."] * 20
    model = ReviewComposer(context=3, n_freqs=2, word_dim=4, n_components=8, random_state=0, progress=True)
    model.fit(texts, [1] * 20 + [0] * 20)
    err = capsys.readouterr().err
    assert "ReviewComposer.fit: tokenizing 40 texts" in err and "next-word maps" in err
    ReviewComposer(context=3, n_freqs=2, word_dim=4, n_components=8, random_state=0).fit(texts, [1] * 20 + [0] * 20)
    assert capsys.readouterr().err == ""
