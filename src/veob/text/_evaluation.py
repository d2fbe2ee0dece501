"""The fields of a dictionary entry, whatever form it comes in.

The proxy evaluation sets built from the dictionary (``hold_out_pairs``,
``similarity_pairs``, ``relatedness_pairs``, ``sentence_pairs``,
``split_by_word``) moved to :mod:`veob.experiments`; importing them from
here still works until veob 0.2.0, with a FutureWarning.
"""

from __future__ import annotations

__all__ = ["entry_fields"]

_MOVED_TO_EXPERIMENTS = ("hold_out_pairs", "relatedness_pairs", "sentence_pairs", "similarity_pairs", "split_by_word")


def entry_fields(entry):
    """(word, synonyms, antonyms, meanings) of a DictionaryEntry, a dict or a tuple."""
    if isinstance(entry, dict):
        return (entry.get("word"), list(entry.get("synonyms", ()) or ()), list(entry.get("antonyms", ()) or ()),
                list(entry.get("meanings", ()) or ()))
    if hasattr(entry, "word"):
        return (entry.word, list(getattr(entry, "synonyms", ()) or ()), list(getattr(entry, "antonyms", ()) or ()),
                list(getattr(entry, "meanings", ()) or ()))
    if isinstance(entry, (tuple, list)) and 1 <= len(entry) <= 4:
        items = list(entry) + [()] * (4 - len(entry))
        return items[0], list(items[1] or ()), list(items[2] or ()), list(items[3] or ())
    raise TypeError(f"a dictionary entry must be a DictionaryEntry, a dict or a (word, synonyms, antonyms) "
                    f"tuple; got {type(entry).__name__}")


def __getattr__(name):
    if name in _MOVED_TO_EXPERIMENTS:  # deprecated re-export, removed in veob 0.2.0
        from .. import experiments

        return experiments._moved(__name__, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
