"""The simple English dictionary (nightblade9/simple-english-dictionary)."""

from __future__ import annotations

import json
import lzma
import zlib
from typing import TYPE_CHECKING, NamedTuple

from ._base import corrupt, gc_paused, open_decompressed, resolve_path

if TYPE_CHECKING:
    from .._typing import PathLike

__all__ = ["DictionaryEntry", "Meaning", "load_dictionary"]

_EXPECTED = "the merged dictionary merged.json.gz (or merged.json, or a folder holding it)"


class Meaning(NamedTuple):
    """One meaning of a dictionary headword.

    Attributes
    ----------
    part_of_speech : str
        ``"Noun"``, ``"Adjective"``, ``"Verb"`` or ``"Adverb"`` (as in the file).
    definition : str
        The definition, as in the file.
    related_words : list of str
        Related words and phrases (hypernyms), lower-cased.
    examples : list of str
        Example sentences, as in the file.

    Examples
    --------
    >>> from veob.datasets import Meaning
    >>> m = Meaning("Noun", "a vehicle carrying many passengers", ["public transport"], [])
    >>> m.part_of_speech, m.related_words
    ('Noun', ['public transport'])
    """

    part_of_speech: str
    definition: str
    related_words: list[str]
    examples: list[str]


class DictionaryEntry(NamedTuple):
    """One headword of the simple English dictionary.

    Attributes
    ----------
    word : str
        The headword, lower-cased (upper case in the file).
    synonyms : list of str
        Its synonyms, lower-cased, in file order (a synonym may repeat the
        headword).
    antonyms : list of str
        Its antonyms, lower-cased, in file order.
    meanings : list of Meaning
        Its meanings (empty for about half of the headwords).

    Examples
    --------
    >>> from veob.datasets import DictionaryEntry
    >>> entry = DictionaryEntry("bus", ["autobus", "coach"], [], [])
    >>> entry.word, entry.synonyms
    ('bus', ['autobus', 'coach'])
    """

    word: str
    synonyms: list[str]
    antonyms: list[str]
    meanings: list[Meaning]


def load_dictionary(path: PathLike | None = None) -> list[DictionaryEntry]:
    """Load the simple English dictionary (121,340 headwords).

    Parameters
    ----------
    path : str, os.PathLike or None, default=None
        ``merged.json.gz``, the plain ``merged.json`` (compression is read
        from the magic bytes, not the name), or a folder holding either.
        None reads ``$VEOB_DATA/simple_english_dictionary/merged.json.gz``.

    Returns
    -------
    entries : list of DictionaryEntry
        One per headword, in file order (alphabetical), including headwords
        without meanings. Words, synonyms, antonyms and related words are
        lower-cased (the paper's code compares words in lower case; the file
        has upper-case headwords and capitalised synonyms); parts of speech,
        definitions and examples are kept as in the file.

    Raises
    ------
    FileNotFoundError
        If the file or folder does not exist.
    ValueError
        If the file is not valid (gzip-compressed) JSON or an entry does not
        have the expected layout; the message names the file and the headword.

    See Also
    --------
    load_imdb : the review corpus of the paper's word embeddings.

    Notes
    -----
    The file is one JSON object ``WORD -> {"MEANINGS": [[part_of_speech,
    definition, [related words], [examples]], ...], "SYNONYMS": [...],
    "ANTONYMS": [...]}``. The shared copy holds 121,340 headwords (54,103
    with meanings; 77,738 meanings), 351,012 synonyms and 18,810 antonyms;
    lower-cased, the synonyms and headwords together are 147,202 distinct
    words and the antonyms 6,199, the one-hot widths of the paper's
    section 6.4.

    References
    ----------
    .. [1] nightblade9, "simple-english-dictionary" (MIT), GitHub, data from WordNet.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from veob.datasets import load_dictionary
    >>> tmp = tempfile.TemporaryDirectory()
    >>> file = Path(tmp.name) / "merged.json"
    >>> _ = file.write_text(json.dumps({
    ...     "BUS": {"MEANINGS": [["Noun", "a vehicle carrying many passengers",
    ...                           ["Public transport"], ["he always rode the bus"]]],
    ...             "SYNONYMS": ["Autobus", "Coach"], "ANTONYMS": []},
    ...     "HAPPY": {"MEANINGS": [], "SYNONYMS": ["Glad"], "ANTONYMS": ["Unhappy"]}}))
    >>> bus, happy = load_dictionary(file)
    >>> bus.word, bus.synonyms, bus.meanings[0].related_words
    ('bus', ['autobus', 'coach'], ['public transport'])
    >>> happy
    DictionaryEntry(word='happy', synonyms=['glad'], antonyms=['unhappy'], meanings=[])
    >>> tmp.cleanup()
    """
    path = resolve_path(path, "simple_english_dictionary/merged.json.gz",
                        what="simple English dictionary", expected=_EXPECTED)
    if path.is_dir():
        for name in ("merged.json.gz", "merged.json"):
            if (path / name).is_file():
                path = path / name
                break
        else:
            raise FileNotFoundError(
                f"simple English dictionary: folder {str(path)!r} holds neither merged.json.gz nor "
                f"merged.json; expected {_EXPECTED}: set VEOB_DATA to the shared data folder or pass path=..."
            )
    with gc_paused():
        return _load_dictionary(path)


def _load_dictionary(path):
    try:
        with open_decompressed(path) as fh:
            raw = json.load(fh)
    except (EOFError, OSError, zlib.error, lzma.LZMAError) as exc:
        raise corrupt(path, f"cannot read the dictionary ({exc}); the file is truncated or corrupt") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise corrupt(path, f"not valid JSON ({exc}); expected {_EXPECTED}") from None
    if not isinstance(raw, dict):
        raise corrupt(path, f"the JSON document is a {type(raw).__name__}; expected an object "
                            "WORD -> {MEANINGS, SYNONYMS, ANTONYMS}")
    entries = []
    for word, record in raw.items():
        try:
            entries.append(DictionaryEntry(
                word.lower(),
                [s.lower() for s in record["SYNONYMS"]],
                [s.lower() for s in record["ANTONYMS"]],
                [_meaning(m) for m in record["MEANINGS"]],
            ))
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise corrupt(path, f"entry {word!r} does not have the expected layout "
                                "{MEANINGS: [[part_of_speech, definition, [related words], "
                                "[examples]], ...], SYNONYMS: [...], ANTONYMS: [...]}" f" ({exc!r})") from None
    return entries


def _meaning(raw):
    part_of_speech, definition, related, examples = raw
    if not (isinstance(part_of_speech, str) and isinstance(definition, str)
            and isinstance(related, list) and isinstance(examples, list)):
        raise TypeError(f"meaning {raw!r} is not [str, str, list, list]")
    return Meaning(part_of_speech, definition, [w.lower() for w in related], list(examples))
