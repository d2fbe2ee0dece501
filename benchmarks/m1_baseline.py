"""The paper's timings on an Apple M1 Pro laptop (16 GB, Julia), with section references.

Lu (2023), "Fast Machine Learning Method with Vector Embedding on Orthonormal Basis and
Spectral Transform", section 6; DESIGN.md section 2. Each pipeline benchmark records its
median beside these in ``extra_info`` (``m1_seconds``, ``speedup``).
"""

M1_SECONDS = {
    # section: (pipeline, seconds on the M1, what the paper timed)
    "orthography": ("6.2", 2.0, "83,590 IMDB tokens: one-hot letters, ST N=15 M=6, SVD 40"),
    "context": ("6.3", 14.6, "two-bag context counts over 528,460 sentences, SVD 200 keep 50"),
    "dictionary": ("6.4", 3.3 + 15.1, "orthography slice 3.3 s + synonym/antonym sparse SVD 300 15.1 s"),
    "sentences": ("6.5", 76.8, "528,460 sentences: context word vectors -> ST -> SVD 200 (1.28 min)"),
    "mnist_digits": ("6.6", 216.0, "MNIST digits: 2-D DCT -> SVD 30 -> partition, train + test (3.6 min)"),
    "mnist_fashion": ("6.6", 228.0, "Fashion-MNIST: 2-D DCT -> SVD 30 -> partition, train + test (3.8 min)"),
}


def m1_seconds(pipeline):
    """The paper's M1 time in seconds for ``pipeline`` (a key of ``M1_SECONDS``)."""
    return M1_SECONDS[pipeline][1]


def record_m1(benchmark, pipeline, target_speedup=10.0):
    """Store the M1 time, the speed-up and the 10x target verdict in extra_info."""
    section, seconds, what = M1_SECONDS[pipeline]
    own = benchmark.stats.stats.median
    benchmark.extra_info.update(
        pipeline=pipeline,
        paper_section=section,
        m1_seconds=seconds,
        m1_what=what,
        speedup=seconds / own if own > 0 else float("inf"),
        target_speedup=target_speedup,
    )
    return benchmark.extra_info["speedup"]
