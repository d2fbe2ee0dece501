"""
Dataset loaders (:mod:`veob.datasets`)
======================================

Read the public datasets veob is evaluated on, in place (archives are
streamed, never extracted to disk). Every loader takes ``path`` (a file or
folder, str or os.PathLike); without it, it reads ``$VEOB_DATA/<default>``.

.. autosummary::

   load_imdb               -- IMDB movie reviews (aclImdb): texts, labels, ratings, ids
   load_dictionary         -- simple English dictionary: word, synonyms, antonyms, meanings
   load_mnist              -- MNIST / Fashion-MNIST idx files -> uint8 (n, 28, 28) images
   load_pendigits          -- UCI pen-based digits -> float32 (n, 8, 2) pen trajectories
   load_image_folder       -- JPEG/PNG folder or tar -> uint8 (n, h, w, 3) images, labels
   load_word_similarity    -- word pairs with human similarity scores (the dev_eval sets)
   load_sts                -- STS Benchmark sentence pairs with similarity scores
   SIMILARITY_SETS         -- the names of the word-similarity sets
   DictionaryEntry         -- one dictionary headword (load_dictionary's items)
   Meaning                 -- one meaning of a headword
   FASHION_MNIST_CLASSES   -- the 10 Fashion-MNIST class names
"""

from ._dictionary import DictionaryEntry, Meaning, load_dictionary
from ._image_folder import load_image_folder
from ._imdb import load_imdb
from ._mnist import FASHION_MNIST_CLASSES, load_mnist
from ._pendigits import load_pendigits
from ._similarity import SIMILARITY_SETS, load_sts, load_word_similarity

__all__ = [
    "DictionaryEntry",
    "FASHION_MNIST_CLASSES",
    "Meaning",
    "SIMILARITY_SETS",
    "load_dictionary",
    "load_image_folder",
    "load_imdb",
    "load_mnist",
    "load_pendigits",
    "load_sts",
    "load_word_similarity",
]
