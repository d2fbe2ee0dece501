"""
Text embeddings (:mod:`veob.text`)
==================================

Word and sentence vectors from counts, spelling spectra and dictionaries,
by SVD (paper sections 6.2-6.5), with the corrections and improvements
documented in ``docs/text.md``.

Corpus
------

.. autosummary::

   prepare_corpus       -- reviews -> sentences of tokens (spaCy blank("en") + sentencizer)
   clean_text           -- the reference cleaning of one text
   as_corpus            -- a Corpus from tokenized sentences
   Corpus               -- sentences as token ids (values, offsets) + vocabulary

Word vectors
------------

.. autosummary::

   WordVectors          -- words + vectors: most_similar, similarity, evaluate_word_pairs
   read_word_pairs      -- read "word1 word2 score" files
   OrthographyEmbedder  -- spelling: letter spectra -> SVD (section 6.2)
   ContextEmbedder      -- co-occurrence (paper) or PPMI -> SVD (section 6.3)
   DictionaryEmbedder   -- spelling + synonyms + antonyms -> SVD (section 6.4)
   retrofit             -- refine any word vectors with a dictionary's synonyms and antonyms
   lexicon_graph        -- the synonym / antonym edges between the words of a vocabulary
   SpellingCorrector    -- corrects misspellings from the nearest spelling vectors

Review models
-------------

.. autosummary::

   ReviewComposer       -- closed-form label-conditioned next-word model that writes reviews
   KneserNeyLM          -- class-conditional interpolated Kneser-Ney n-gram baseline

Sentence vectors
----------------

.. autosummary::

   TextEncoder          -- raw text -> vectors in one call (fit on your corpus; encode like sentence-transformers)
   SentenceEmbedder     -- spectral transform of word vectors -> SVD (section 6.5)

spaCy is only needed by :func:`prepare_corpus` (``pip install 'veob[text]'``)
and is imported on first use.
"""

from ._composer import ReviewComposer
from ._context import ContextEmbedder
from ._corpus import Corpus, as_corpus, clean_text, prepare_corpus
from ._dictionary import DictionaryEmbedder
from ._encoder import TextEncoder
from ._lm import KneserNeyLM
from ._orthography import OrthographyEmbedder
from ._retrofit import lexicon_graph, retrofit
from ._sentence import SentenceEmbedder
from ._spelling import SpellingCorrector
from ._word_vectors import WordVectors, read_word_pairs

__all__ = [
    "ContextEmbedder",
    "Corpus",
    "DictionaryEmbedder",
    "KneserNeyLM",
    "OrthographyEmbedder",
    "ReviewComposer",
    "SentenceEmbedder",
    "SpellingCorrector",
    "TextEncoder",
    "WordVectors",
    "as_corpus",
    "clean_text",
    "lexicon_graph",
    "prepare_corpus",
    "read_word_pairs",
    "retrofit",
]
