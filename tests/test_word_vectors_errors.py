"""WordVectors: an unknown word is a KeyError saying so, with the vocabulary size, as gensim does (issue 19)."""

import numpy as np
import pytest

from veob.text import WordVectors

WORDS = [f"w{i}" for i in range(1234)]


@pytest.mark.parametrize("call", [
    lambda wv: wv.most_similar("zebra"),
    lambda wv: wv.most_similar("zebra", topn=3, include_query=False),
    lambda wv: wv.similarity("zebra", "w1"),
    lambda wv: wv["zebra"],
])
def test_unknown_word_says_it_is_not_in_the_vocabulary_and_how_big_it_is(call):
    wv = WordVectors(WORDS, np.random.default_rng(0).standard_normal((len(WORDS), 3)))
    with pytest.raises(KeyError) as info:
        call(wv)
    message = info.value.args[0]
    assert message.startswith("word 'zebra' is not in the vocabulary (1,234 words)"), message
    assert "'zebra' in word_vectors" in message
