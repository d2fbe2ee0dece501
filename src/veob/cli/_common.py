"""Options, errors, progress and reports shared by the ``veob`` subcommands."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "UsageError",
    "add_common_options",
    "data_root",
    "out_dir",
    "progress",
    "say",
    "timer",
    "write_json_atomic",
]


class UsageError(Exception):
    """A user error: printed as one line, exit code 2, no traceback."""


def add_common_options(parser):
    """The options every subcommand accepts."""
    parser.add_argument("--data", default=None, metavar="PATH",
                        help="data folder (default: $VEOB_DATA)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="report folder: report.json and PNG figures")
    parser.add_argument("--chroma", default=None, metavar="PATH",
                        help="Chroma store folder (default: <out>/chroma)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--quiet", action="store_true", help="print only errors")


def data_root(args, *, required=True):
    """The data folder from ``--data`` or ``$VEOB_DATA``; UsageError if missing."""
    root = args.data or os.environ.get("VEOB_DATA")
    if not root:
        if required:
            raise UsageError("no data folder: pass --data PATH or set VEOB_DATA")
        return None
    path = Path(root).expanduser()
    if not path.is_dir():
        raise UsageError(f"data folder {str(path)!r} does not exist: pass --data PATH or set VEOB_DATA")
    return path


def out_dir(args, default):
    """Create and return the report folder (``--out`` or ``default``)."""
    path = Path(args.out or default).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create report folder {str(path)!r}: {exc.strerror}") from None
    return path


def say(args, *parts, **kwargs):
    """print unless --quiet."""
    if not getattr(args, "quiet", False):
        print(*parts, **kwargs)
        sys.stdout.flush()


def progress(iterable=None, *, args=None, total=None, desc=None, unit="it"):
    """A tqdm progress bar when tqdm is installed and output is not quiet."""
    disable = bool(args is not None and getattr(args, "quiet", False))
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable if iterable is not None else _NullBar()
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=disable, leave=False)


class _NullBar:
    def update(self, n=1):
        pass

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@contextmanager
def timer(timings, name):
    """Record the wall time of the block in ``timings[name]`` (seconds)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = round(time.perf_counter() - start, 4)


def machine_info():
    """Versions and machine facts for reports."""
    import numpy as np

    from .._version import __version__

    info = {
        "veob": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: v for k, v in lib.items() if k in ("internal_api", "version", "num_threads")}
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ]
    except ImportError:  # pragma: no cover
        pass
    return info


def write_text_atomic(path, text):
    """Write ``text`` (UTF-8) to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path, payload):
    """Write JSON to ``path`` through a temporary file and a rename."""
    write_text_atomic(path, json.dumps(payload, indent=2, sort_keys=True, default=_jsonable) + "\n")


def _jsonable(value):
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")
