"""Turn a pytest-benchmark JSON file into ``docs/benchmarks.md``.

Usage::

    pytest benchmarks/ --benchmark-json=bench.json       # full mode, by hand
    python -m benchmarks.report bench.json [more.json ...] [-o docs/benchmarks.md]

Several JSON files (e.g. one per suite) are merged; a later file wins for a
benchmark present in several. The table lists every benchmark's median, its
peer and the ratio (peer / veob, > 1 means veob is faster), the paper's M1
time and the speed-up where there is one, the target and whether it is met,
the peak memory of the child process that ran veob's timed body (and the
part of it taken by the inputs), and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# benchmark name -> (target description, predicate over extra_info and median)
TARGETS = {
    "test_svd_mnist_vs_randomized_svd": (">= 3x randomized_svd, faster than fbpca, rel. error <= 1e-4",
                                         lambda e, m: e.get("ratio", 0) >= 3 and e.get("fbpca_ratio", 2) > 1
                                         and e.get("rel_error", 1) <= 1e-4),
    "test_svd_sentence_shape_vs_randomized_svd": (">= 10x randomized_svd, rel. error <= 1e-4",
                                                  lambda e, m: e.get("ratio", 0) >= 10
                                                  and e.get("rel_error", 1) <= 1e-4),
    "test_svd_sparse_context_shape_vs_truncated_svd": ("faster than TruncatedSVD at <= its error, peak < 3 GB",
                                                       lambda e, m: e.get("ratio", 0) > 1
                                                       and e.get("rel_error", 1) <= e.get("peer_rel_error", 0) * 1.05
                                                       and e.get("peak_rss_gb", 0) < 3),
    "test_incremental_svd_mnist": ("within 1e-3 of the batch SVD; ahead of IncrementalPCA",
                                   lambda e, m: e.get("rel_error", 1) <= 1e-3 and e.get("ratio", 0) > 1),
    "test_paper_pipeline": ("<= 5 s end to end, top-3 >= the paper's",
                            lambda e, m: m <= 5 and e.get("test_top3", 0) >= e.get("paper_test_top3", 1)),
    "test_patch_pipeline": ("top-1 >= 99.0 % digits / 91.0 % fashion within 10 min, peak <= 4 GB",
                            lambda e, m: e.get("test_top1", 0) >= e.get("target_top1", 1)
                            and e.get("steps", {}).get("total", 1e9) <= e.get("target_seconds", 600)
                            and e.get("peak_rss_gb", 1e9) <= 4),
    "test_paper_ranking": (">= 1x brute force (exact: the same ranking)",
                           lambda e, m: e.get("ratio", 0) >= 1
                           and (e.get("search") != "exact" or e.get("same_ranking", 0) == 1)),
    "test_mnist_exact_vs_brute": (">= 2x brute force, identical neighbours",
                                  lambda e, m: e.get("ratio", 0) >= 2 and e.get("equal_to_exact_brute", 0) == 1),
    "test_mnist_smallest_n_probe_for_recall_95": (">= 5x brute force at recall@10 >= 0.95",
                                                  lambda e, m: e.get("ratio", 0) >= 5
                                                  and e.get("recall_at_10", 0) >= 0.95),
    "test_local_cluster_vs_in_memory": ("within 1.5x of the in-memory time",
                                        lambda e, m: e.get("slowdown", 1e9) <= 1.5),
    "test_context_embedder_vs_skipgram": (">= 10x faster than skip-gram (aim 20x), peak <= 4 GB",
                                          lambda e, m: e.get("ratio", 0) >= 10 and e.get("peak_rss_gb", 1e9) <= 4),
    "test_encoder_fit_100k_reviews": ("fit <= 120 s, peak <= 4 GB",
                                      lambda e, m: m <= 120 and e.get("peak_rss_gb", 1e9) <= 4),
    "test_encode_throughput": (">= 20,000 sentences/s (raw strings in), >= 400x MiniLM",
                               lambda e, m: e.get("sentences_per_s", 0) >= 20000 and e.get("ratio", 400) >= 400),
    "test_spelling_vs_norvig": (">= 5,000 corrections/s on 2 cores; top-1 above Norvig's (dev set)",
                                lambda e, m: e.get("corrections_per_s", 0) >= 5000
                                and e.get("top1", 0) > e.get("norvig_top1", 1)),
    "test_spelling_fit": ("fit <= 10 s", lambda e, m: m <= 10),
    "test_out_of_core_10m_x_300": ("peak < 4 GB, residual <= 1.05 s_50",
                                   lambda e, m: e.get("peak_rss_gb", 1e9) < 4
                                   and e.get("error", 1e18) <= 1.05 * e.get("s50", 0)),
}


def _fmt_seconds(value):
    if value is None:
        return ""
    if value < 1e-3:
        return f"{value * 1e6:.0f} us"
    if value < 1:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def _fmt(value, digits=3):
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, dict):  # e.g. dev-set scores: {"men-dev": 0.63, ...}
        return "{" + ", ".join(f"{k} {_fmt(v, digits)}" for k, v in value.items()) + "}"
    return str(value)


def load(paths):
    benchmarks, machine, when = {}, {}, []
    for path in paths:
        data = json.loads(Path(path).read_text())
        machine.update(data.get("machine_info", {}))
        when.append(data.get("datetime", ""))
        for bench in data["benchmarks"]:
            benchmarks[bench["fullname"]] = bench
    return benchmarks, machine, when


def render(benchmarks, machine, when):
    lines = [
        "# Benchmarks",
        "",
        ("Generated by `python -m benchmarks.report` from pytest-benchmark JSON "
         f"({', '.join(w for w in when if w)}). Medians over the rounds of each benchmark; "
         "peers run in the same session on the same input; ratio = peer median / veob median "
         "(> 1: veob is faster). Threads are pinned for the session (BLAS and numba). "
         "veob's timed body runs in a fresh child process: *peak RSS* is that process's high-water mark "
         "(`VmHWM`) over the timed rounds, inputs, interpreter and imports included (about 0.2 GB for "
         "numpy, scipy, scikit-learn and numba); *inputs* is its RSS once the inputs were built, "
         "before the first round."),
        "",
        ("| benchmark | veob median | peer | peer median | ratio | M1 (paper) | speed-up vs M1 | target | met "
         "| peak RSS | inputs | notes |"),
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fullname, bench in sorted(benchmarks.items()):
        e = bench.get("extra_info", {})
        median = bench["stats"]["median"]
        if "fit_seconds" in e:  # timed inside a child process; the benchmark itself is a placeholder round
            median = e["fit_seconds"]
        name = bench["name"]
        base = name.split("[")[0]
        target, verdict = "", ""
        if base in TARGETS:
            target, predicate = TARGETS[base]
            verdict = "yes" if predicate(e, median) else "**no**"
        elif "m1_seconds" in e:
            target = f">= {e.get('target_speedup', 10):g}x the M1"
            verdict = "yes" if e.get("speedup", 0) >= e.get("target_speedup", 10) else "**no**"
        elif "ratio" in e:
            target = "ahead of peer"
            verdict = "yes" if e["ratio"] > 1 else "**no**"
        notes = []
        for key in ("shape", "k", "nnz", "rel_error", "peer_rel_error", "fbpca_ratio", "fbpca_rel_error",
                    "recall_at_1", "recall_at_10", "miss_rate_at_1", "miss_rate_at_10", "same_ranking", "accuracy",
                    "top1", "top3", "test_top1", "test_top3", "slowdown", "error", "s50", "svd_seconds",
                    "error_seconds", "reingest_seconds", "worker_peak_rss_gb", "top5", "norvig_top1",
                    "corrections_per_s", "norvig_corrections_per_s", "corrections_per_s_by_cpu", "load_average",
                    "coverage", "cpu_seconds", "dev_sets", "peer_dev_sets", "peer_peak_rss_gb", "sentences_per_s",
                    "peer_sentences_per_s", "sts_dev", "peer_sts_dev", "quick"):
            if key in e and e[key] not in (None, False):
                notes.append(f"{key}={_fmt(e[key])}")
        peak, inputs = e.get("peak_rss_gb"), e.get("input_rss_gb")
        lines.append(
            "| " + " | ".join([
                f"`{fullname.split('::')[0].split('/')[-1]}::{name}`",
                _fmt_seconds(median),
                str(e.get("peer", "")),
                _fmt_seconds(e.get("peer_median")),
                f"{e['ratio']:.2f}x" if "ratio" in e else "",
                _fmt_seconds(e.get("m1_seconds")),
                f"{e['speedup']:.1f}x" if "speedup" in e else "",
                target,
                verdict,
                f"{peak:.2f} GB" if peak is not None else "",
                f"{inputs:.2f} GB" if inputs is not None else "",
                ", ".join(notes),
            ]) + " |"
        )
    cpu = machine.get("cpu", {})
    lines += [
        "",
        "## Machine",
        "",
        f"- CPU: {cpu.get('brand_raw', machine.get('processor', '?'))}, "
        f"{machine.get('cpu_count', '?')} cores",
        f"- BLAS: {'; '.join(machine.get('blas', [])) or '?'}",
        f"- Python {machine.get('python_version', '?')}, numpy {machine.get('numpy', '?')}, "
        f"scipy {machine.get('scipy', '?')}, scikit-learn {machine.get('sklearn', '?')}, "
        f"numba {machine.get('numba', '?')}, veob {machine.get('veob', '?')}",
        f"- {machine.get('system', '')} {machine.get('release', '')}",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", nargs="+", help="pytest-benchmark JSON files")
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args(argv)
    benchmarks, machine, when = load(args.json)
    text = render(benchmarks, machine, when)
    out = Path(args.output)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, out)
    print(f"wrote {out} ({len(benchmarks)} benchmarks)")


if __name__ == "__main__":
    main()
