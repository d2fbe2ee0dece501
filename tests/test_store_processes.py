"""ChromaStore with several real processes on one store folder (issue 19): no mixed rows, no open race."""

import fcntl
import json
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

pytest.importorskip("chromadb")

from veob.store import ChromaStore  # noqa: E402

# One Python process imports veob and chromadb once, then forks the real processes of a test
# (os.fork: cheap, no second interpreter start-up) and lets them all start at the same moment.
_FORKER = textwrap.dedent("""
    import json, os, sys, time
    import numpy as np
    import chromadb  # before the fork, so that the children's work overlaps
    from veob.store import ChromaStore

    job, path, n_children, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

    def write(child):
        writer = child + 1
        X = np.random.default_rng(writer).standard_normal((n, 6)).astype(np.float32)
        X[:, 0] = writer  # the vector names its writer, and so do the metadata and document
        X[:, 1] = np.arange(n)
        store = ChromaStore(path)
        go()
        store.upsert("shared", X, metadatas=[{"writer": writer, "row": i} for i in range(n)],
                     documents=[f"w{writer} r{i}" for i in range(n)], batch_size=1000, progress=False)

    def open_new(child):
        go()
        store = ChromaStore(path)
        assert store.collections() == []

    def go():
        r = os.open(gate, os.O_RDONLY)  # blocks until the parent opens the FIFO for writing
        os.close(r)

    gate = path.rstrip("/") + ".gate"
    os.mkfifo(gate)
    pids = []
    for child in range(n_children):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                {"write": write, "open": open_new}[job](child)
            except BaseException as exc:
                print(f"child {child}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                code = 1
            os._exit(code)
        pids.append(pid)
    time.sleep(0.5)  # every child is waiting at the gate
    w = os.open(gate, os.O_WRONLY)  # opens the gate for all of them at once
    failed = 0
    for pid in pids:
        failed += os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) != 0
    os.close(w)
    print(json.dumps({"failed": failed}))
""")


def _forked(job, path, n_children, n=0, timeout=300):
    proc = subprocess.run([sys.executable, "-c", _FORKER, job, str(path), str(n_children), str(n)],
                          capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def test_two_processes_upserting_one_collection_never_mix_rows(tmp_path):
    path, n = tmp_path / "store", 4000
    ChromaStore(path)  # the folder exists; the collection does not
    result, errors = _forked("write", path, 2, n)
    assert result["failed"] == 0, errors  # both writers exit 0
    store = ChromaStore(path)  # this process never saw the collection: nothing cached
    assert store.count("shared") == n
    records = store.get("shared")
    assert sorted(int(r.id) for r in records) == list(range(n))
    for r in records:
        writer = int(r.embedding[0])
        assert writer in (1, 2) and int(r.embedding[1]) == int(r.id)
        assert r.metadata == {"writer": writer, "row": int(r.id)}, f"row {r.id} mixes two writers"
        assert r.document == f"w{writer} r{r.id}", f"row {r.id} mixes two writers"
    # each row is one writer's whole record, and the search index agrees with the stored rows
    sample = records[:: n // 50]
    hits = store.query("shared", np.stack([r.embedding for r in sample]), n_results=1)
    assert [h[0].id for h in hits] == [r.id for r in sample]


def test_processes_opening_a_new_store_folder_at_once_do_not_crash(tmp_path):
    # without the folder lock this failed in 3 runs of 3 with Chroma's "table collections already
    # exists" or "database is locked" (one round of 8 openings alone failed in 2 runs of 3)
    for attempt in range(2):
        result, errors = _forked("open", tmp_path / f"new-{attempt}", 8)
        assert result["failed"] == 0, errors


def _start(code, *args):
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _finish(procs, timeout=240):
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        outs.append((p.returncode, out, err))
    return outs


_STALE = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    import numpy as np
    from veob.store import ChromaStore

    path, go = sys.argv[1], Path(sys.argv[2])
    B = np.random.default_rng(2).standard_normal((2000, 4)).astype(np.float32)
    store = ChromaStore(path)
    store.query("shared", B[:2], n_results=1)  # loads the collection's index into this process
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    store.upsert("shared", B, ids=[f"b{i}" for i in range(2000)], progress=False)
    print("done", flush=True)
""")


def test_a_long_lived_writer_keeps_rows_another_process_wrote_meanwhile(tmp_path):
    path, go = tmp_path / "store", tmp_path / "go"
    A = np.random.default_rng(0).standard_normal((100, 4)).astype(np.float32)
    ChromaStore(path).upsert("shared", A, ids=[f"a{i}" for i in range(100)], progress=False)
    proc = _start(_STALE, path, go)
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    code = ("import sys, numpy as np; from veob.store import ChromaStore; "
            "C = np.random.default_rng(5).standard_normal((2000, 4)).astype(np.float32); "
            "ChromaStore(sys.argv[1]).upsert('shared', C, ids=[f'c{i}' for i in range(2000)], progress=False)")
    other = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert other.returncode == 0, other.stderr
    go.touch()  # now the long-lived process writes its own rows
    ((rc, out, err),) = _finish([proc])
    assert rc == 0, err
    C = np.random.default_rng(5).standard_normal((2000, 4)).astype(np.float32)
    store = ChromaStore(path)
    assert store.count("shared") == 4100
    hits = store.query("shared", C[:200], n_results=1)
    found = sum(h[0].id == f"c{i}" for i, h in enumerate(hits))
    assert found == 200, f"only {found} of 200 rows written by the other process are searchable"


def test_second_writer_waits_then_times_out_with_a_clear_error(tmp_path):
    path = tmp_path / "store"
    store = ChromaStore(path, lock_timeout=0.3)
    store.upsert("vecs", np.zeros((2, 3)), progress=False)
    lock = path / ".veob-locks" / "vecs.lock"
    assert lock.is_file()
    with open(lock, "rb+") as fh:  # another writer holds the collection
        fcntl.flock(fh, fcntl.LOCK_EX)
        t0 = time.perf_counter()
        with pytest.raises(TimeoutError, match=r"collection='vecs'.*locked by another process.*lock_timeout=0.3"):
            store.upsert("vecs", np.ones((2, 3)), progress=False)
        assert time.perf_counter() - t0 >= 0.3
        other = ChromaStore(path).upsert("other", np.ones((1, 3)), progress=False)  # other collections are free
        assert other == 1
    assert store.upsert("vecs", np.ones((2, 3)), progress=False) == 2  # released: the write goes through
    np.testing.assert_array_equal(store.get("vecs", ids=["0"])[0].embedding, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="lock_timeout"):
        ChromaStore(path, lock_timeout=-1)


def test_a_store_whose_lock_files_cannot_be_made_still_opens_and_reads(tmp_path, monkeypatch):
    # a read-only store folder (no .veob-locks can be created): readers work unlocked
    import os

    path = tmp_path / "store"
    ChromaStore(path).upsert("vecs", np.eye(3), progress=False)
    real_open = os.open

    def refuse_locks(file, *args, **kwargs):
        if ".veob-locks" in str(file):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse_locks)
    store = ChromaStore(path)
    assert store.count("vecs") == 3 and store.query("vecs", np.eye(3)[1], n_results=1)[0][0].id == "1"
