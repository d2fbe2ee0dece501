"""``veob info``: versions, machine, data found under VEOB_DATA and Chroma collections."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from ._common import UsageError, data_root, machine_info, say, write_json_atomic

HELP = "versions, BLAS and cores, the datasets found under --data/$VEOB_DATA, Chroma collections"

#: dataset -> alternatives, each a list of paths (relative to the data folder) that must all exist
DATASETS = {
    "mnist": [[f"mnist/{n}-ubyte.gz" for n in ("train-images-idx3", "train-labels-idx1",
                                                  "t10k-images-idx3", "t10k-labels-idx1")]],
    "fashion_mnist": [[f"fashion_mnist/{n}-ubyte.gz" for n in ("train-images-idx3", "train-labels-idx1",
                                                                  "t10k-images-idx3", "t10k-labels-idx1")]],
    "imdb": [["imdb/aclImdb.tar.gz"], ["imdb/aclImdb"]],
    "simple_english_dictionary": [["simple_english_dictionary/merged.json.gz"],
                                  ["simple_english_dictionary/merged.json"]],
    "cats_vs_dogs": [["cats_vs_dogs/train_128.tar.gz"], ["cats_vs_dogs/train"]],
    "pendigits": [["pendigits/pendigits.tar.gz"], ["pendigits/pendigits.tra", "pendigits/pendigits.tes"]],
    "rw_concept_graph": [["rw_concept_graph/conceptEdges.csv.gz", "rw_concept_graph/concepts.csv.gz"]],
}

_CORE = ("numpy", "scipy", "scikit-learn", "numba")
_OPTIONAL = ("chromadb", "matplotlib", "tqdm", "fbpca", "spacy", "dask", "distributed", "pillow")


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print the information as JSON")


def _version(dist):
    """Installed version of a distribution, without importing it (None when absent)."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _size(path):
    if path.is_file():
        return path.stat().st_size
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                pass
    return total


def scan_data(root):
    """{dataset: {"found", "paths", "bytes", "missing"}} for the known datasets.

    ``paths`` is the layout found (or the one closest to complete),
    ``missing`` the files of that layout that are absent.
    """
    found = {}
    for name, alternatives in DATASETS.items():
        entry = {"found": False, "paths": alternatives[0], "bytes": 0, "missing": alternatives[0]}
        partial = False
        for paths in alternatives:
            full = [root / p for p in paths]
            if all(p.exists() for p in full):
                entry = {"found": True, "paths": paths, "bytes": sum(_size(p) for p in full), "missing": []}
                break
            missing = [p for p, f in zip(paths, full) if not f.exists()]
            if len(missing) < len(paths) and (not partial or len(missing) < len(entry["missing"])):
                entry = {"found": False, "paths": paths, "bytes": 0, "missing": missing}
                partial = True
        found[name] = entry
    return found


def _mb(n):
    return f"{n / 1e6:.1f} MB"


def _paths(paths):
    if len(paths) == 1:
        return paths[0]
    folders = {p.rsplit("/", 1)[0] for p in paths}
    if len(folders) == 1:
        return f"{folders.pop()}/ ({len(paths)} files: {', '.join(p.rsplit('/', 1)[1] for p in paths)})"
    return ", ".join(paths)


def run(args):
    from ._cmd_query import open_store

    machine = machine_info()
    versions = {"veob": machine["veob"], "python": platform.python_version()}
    versions.update({dist: _version(dist) for dist in _CORE})
    optional = {dist: _version(dist) for dist in _OPTIONAL}
    root = data_root(args, required=False)
    source = "--data" if args.data else "VEOB_DATA" if root is not None else None
    datasets = scan_data(root) if root is not None else None
    store = open_store(args, required=False)
    collections = None
    if store is not None:
        collections = [store.describe(name)._asdict() for name in store.collections()]
    info = {
        "versions": versions,
        "optional": optional,
        "platform": machine["platform"],
        "cpu_count": machine["cpu_count"],
        "blas": machine.get("blas", []),
        "data": {"root": str(root) if root else None, "from": source, "datasets": datasets},
        "chroma": {"path": str(store.path), "collections": collections} if store is not None else None,
    }
    if args.out:
        out = Path(args.out).expanduser()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create report folder {str(out)!r}: {exc.strerror}") from None
        write_json_atomic(out / "info.json", info)
    if args.json:
        import json

        say(args, json.dumps(info, indent=2, sort_keys=True))
        return 0
    _print(args, info)
    return 0


def _print(args, info):
    v = info["versions"]
    say(args, f"veob {v['veob']} (python {v['python']}, {info['platform']})")
    say(args, "  " + "  ".join(f"{k} {val or 'missing'}" for k, val in v.items() if k not in ("veob", "python")))
    say(args, "  optional: " + ", ".join(f"{k} {val}" if val else f"{k} -" for k, val in info["optional"].items()))
    blas = ", ".join(f"{b.get('internal_api')} {b.get('version')} ({b.get('num_threads')} threads)"
                     for b in info["blas"]) or "unknown"
    say(args, f"  BLAS: {blas}; cores: {info['cpu_count']}")
    data = info["data"]
    if data["root"] is None:
        say(args, "data: none (pass --data PATH or set VEOB_DATA)")
    else:
        found = sum(d["found"] for d in data["datasets"].values())
        say(args, f"data: {data['root']} (from {data['from']}): {found} of {len(data['datasets'])} known datasets")
        width = max(map(len, data["datasets"]))
        for name, d in data["datasets"].items():
            if d["found"]:
                say(args, f"  {name:<{width}}  found    {_mb(d['bytes']):>9}  {_paths(d['paths'])}")
            elif len(d["missing"]) < len(d["paths"]):
                say(args, f"  {name:<{width}}  partial  {'':>9}  missing {_paths(d['missing'])}")
            else:
                say(args, f"  {name:<{width}}  missing  {'':>9}  expected {_paths(d['paths'])}")
    chroma = info["chroma"]
    if chroma is None:
        say(args, "chroma: none (pass --chroma PATH to list a store's collections)")
    elif not chroma["collections"]:
        say(args, f"chroma: {chroma['path']}: no collections")
    else:
        say(args, f"chroma: {chroma['path']}: {len(chroma['collections'])} collections")
        width = max(len(c["name"]) for c in chroma["collections"])
        for c in chroma["collections"]:
            dim = c["dimension"] if c["dimension"] is not None else "-"
            say(args, f"  {c['name']:<{width}}  {c['count']:>9} vectors  dimension {dim}  distance {c['distance']}")
