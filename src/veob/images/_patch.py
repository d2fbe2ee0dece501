r"""PatchEmbedder: VEOB on image patches (the PCANet recipe), closed form."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from .._progress import check_progress, progress_bar, stage
from .._threads import thread_limits
from .._validation import check_int, check_random_state, validate_data
from ..decomposition import svd, svd_flip
from . import _kernels

if TYPE_CHECKING:
    from .._typing import ArrayLike, RandomStateLike

__all__ = ["PatchEmbedder"]

# float32 values per batch buffer (patch rows, maps, histograms): 64 MB
_BUFFER_VALUES = 1 << 24
_MAX_BITS = 12


def _check_images(X, name="X"):
    """Finite numeric (n, h, w) or (n, h, w, c) array -> float32 (n, h, w, c)."""
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a numeric image array; got a string")
    arr = np.asarray(X)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {arr.dtype}; expected a numeric image array")
    if arr.ndim not in (3, 4):
        raise ValueError(
            f"{name} must have shape (n, h, w) or (n, h, w, c); got shape {arr.shape}"
            + (" (pass image_shape=(h, w) for flattened images)" if arr.ndim == 2 else "")
            + ("; Reshape your data: X[None] for a single image, or X.reshape(1, -1) with image_shape set"
               if arr.ndim < 2 else "")
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} is empty (shape {arr.shape}); every axis must be non-empty")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    if not np.isfinite(arr).all():
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        raise ValueError(f"{name} contains NaN or infinity (first at index {bad}); remove or impute them")
    if arr.ndim == 3:
        arr = arr[..., None]
    return arr


def _resolve_image_shape(image_shape, n_features):
    try:
        shape = tuple(int(s) for s in image_shape)
    except TypeError:
        raise TypeError(f"image_shape={image_shape!r} must be a tuple (h, w) or (h, w, c)") from None
    if len(shape) not in (2, 3) or shape.count(-1) > 1 or any(s == 0 or s < -1 for s in shape):
        raise ValueError(f"image_shape={image_shape!r} must be (h, w) or (h, w, c) of positive sizes, with at "
                         "most one -1")
    known = int(np.prod([s for s in shape if s != -1]))
    if -1 in shape:
        if n_features % known:
            raise ValueError(f"image_shape={image_shape!r} does not divide n_features={n_features}")
        shape = tuple(n_features // known if s == -1 else s for s in shape)
    elif known != n_features:
        raise ValueError(f"image_shape={image_shape!r} holds {known} values, but X has {n_features} features")
    return shape if len(shape) == 3 else shape + (1,)


def _leading_right_vectors(G, n_vectors):
    """Top eigenvectors of the PSD Gram G as orthonormal rows, sign-fixed; with singular values."""
    w, V = np.linalg.eigh(G)
    w, V = w[::-1][:n_vectors], V[:, ::-1][:, :n_vectors]
    Vt = np.ascontiguousarray(V.T)
    _, Vt = svd_flip(np.zeros((1, Vt.shape[0])), Vt, copy=False)
    return Vt, np.sqrt(np.clip(w, 0.0, None))


class PatchEmbedder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""VEOB of image patches: SVD filter banks, binary hashing, block histograms.

    The PCANet recipe (Chan et al. 2015) in closed form, no gradient
    descent: the filters of each stage are the top right singular vectors
    of the mean-removed ``patch_size x patch_size`` patches of its input
    (the images, then the first stage's response maps); the responses of
    the last stage are binarised and packed into one integer code per pixel
    and map; codes are counted in blocks. Each block histogram is
    optionally turned into square-root frequencies (Hellinger) and
    embedded on its own top singular vectors (VEOB of the histograms).

    Parameters
    ----------
    patch_size : int, default=7
        Side k of the square patches and filters (``>= 1``).
    n_filters : tuple of int, default=(8, 8)
        Filters per stage: one stage ``(L1,)`` or two ``(L1, L2)``. The
        last stage's count is the number of bits of the codes (at most 12);
        each count is at most the patch dimension (``k * k * c``, then
        ``k * k``).
    block_size : int or tuple of int, default=7
        Side of the square pooling blocks in pixels (cut to the image side
        when larger). A tuple pools at several scales (a spatial pyramid):
        the blocks of every size are concatenated.
    block_stride : int, tuple of int or None, default=None
        Step between blocks (one per block size for a tuple); None means
        the block size (no overlap).
    hist_components : int or None, default=48
        Dimension of the embedding of each block histogram (the top right
        singular vectors of the histograms of that map, fitted on up to
        ``n_fit_images`` images); None keeps the ``2 ** L_last`` bins.
    hellinger : bool, default=True
        Use square roots of the code frequencies (count / block area), so
        each block histogram has unit Euclidean norm; False keeps counts.
    n_fit_images : int, default=5000
        Images (a seeded random subset) whose patches learn the filters and
        whose histograms learn the embedding.
    image_shape : tuple of int or None, default=None
        ``(h, w)`` or ``(h, w, c)`` to accept 2-D X of flattened images
        (C order); one entry may be -1.
    batch_size : int or None, default=None
        Images per batch of ``transform``; None picks it so that every
        buffer stays below 64 MB. The features do not depend on it.
    random_state : int, RandomState instance or None, default=None
        Seeds the choice of the fitting images.
    n_jobs : int or None, default=None
        Threads for the numba kernels and BLAS (None: leave the current
        setting, -1: all cores).
    progress : bool, default=False
        Show tqdm progress bars on stderr: the stages of ``fit`` (filter
        banks, histogram basis) and the image batches of ``transform``.

    Attributes
    ----------
    filters_ : list of ndarray
        Filter bank of each stage, shape ``(L_s, k, k, c_s)`` (``c_1`` image
        channels, ``c_2 = 1``); flattened, the rows are orthonormal.
    filter_singular_values_ : list of ndarray
        Singular values of each stage's mean-removed patch matrix, ``(L_s,)``.
    hist_components_ : ndarray of shape (n_maps, hist_components_, 2 ** L_last) or None
        Orthonormal basis of the block histograms of each map.
    image_shape_ : tuple of int
        ``(h, w, c)`` of the fitted images.
    n_maps_ : int
        Maps hashed per image (``L1`` for two stages, 1 for one stage).
    n_blocks_ : int
        Pooling blocks per map, over all scales.
    block_shapes_ : list of tuple of int
        ``(block height, block width, stride y, stride x)`` of every pooling
        scale, after cutting to the image.
    n_features_in_ : int
        Values per image, ``h * w * c``.

    See Also
    --------
    veob.models.LeastSquaresClassifier : The closed-form head used on these features.
    veob.dct2 : The paper's global image transform.

    Notes
    -----
    **Filters.** For a stage input with c channels, every pixel gives the
    patch vector :math:`p \in \mathbb{R}^{k^2 c}` (zero padding at the
    border) and :math:`\tilde p = p - \mathrm{mean}(p) \mathbf 1`. With
    :math:`\tilde P` the matrix of all patches of the fitting images, the
    filters are the top :math:`L` right singular vectors of
    :math:`\tilde P`, computed from the Gram matrix
    :math:`\tilde P^T \tilde P` accumulated over batches (the ``"gram"``
    solver of :func:`veob.svd`, without holding :math:`\tilde P`). They are
    orthogonal to :math:`\mathbf 1`, so applying them to raw patches equals
    applying them to mean-removed ones. Stage 2 learns its bank the same way
    from the single-channel response maps of stage 1.

    **Codes and histograms.** Map m of stage 1 filtered by the
    :math:`L_2` stage-2 filters gives :math:`L_2` responses :math:`r_f`;
    pixel code :math:`\sum_f 2^f [r_f > 0]`. Block b of map m counts its
    codes, :math:`h_{mb} \in \mathbb{N}^{2^{L_2}}`; with ``hellinger``,
    :math:`h_{mb} \leftarrow \sqrt{h_{mb} / |b|}`. With
    ``hist_components = r``, :math:`f_{mb} = V_m^T h_{mb}` where
    :math:`V_m` holds the top r right singular vectors (uncentred, VEOB) of
    the matrix of all block histograms of map m on the fitting images. The
    output concatenates :math:`f_{mb}` over m, then b. Features are
    invariant to a positive rescaling of the images (the codes depend on
    signs only), so 0-255 and 0-1 images give the same output.

    Cost per image: :math:`O(h w k^2 (c L_1 + L_1 L_2))` for the filters,
    :math:`O(L_1 h w)` for the histograms. Each image is computed by one
    thread, so the features do not depend on the batch size.

    References
    ----------
    .. [1] T.-H. Chan, K. Jia, S. Gao, J. Lu, Z. Zeng, Y. Ma, "PCANet: A
       simple deep learning baseline for image classification?", IEEE
       Trans. Image Processing 24(12), 2015.
    .. [2] VEOB & ST, "Fast Machine Learning Method with Vector Embedding on
       Orthonormal Basis and Spectral Transform", section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from veob.images import PatchEmbedder
    >>> images = load_digits().images / 16.0
    >>> embedder = PatchEmbedder(patch_size=3, n_filters=(4, 4), block_size=4, hist_components=8,
    ...                          random_state=0).fit(images[:500])
    >>> embedder.transform(images[:2]).shape
    (2, 128)
    >>> W = embedder.filters_[0].reshape(4, -1)
    >>> bool(abs(W @ W.T - np.eye(4)).max() < 1e-5)
    True
    """

    def __init__(self, patch_size: int = 7, n_filters: tuple[int, ...] = (8, 8),
                 block_size: int | tuple[int, ...] = 7, *, block_stride: int | tuple[int, ...] | None = None,
                 hist_components: int | None = 48, hellinger: bool = True, n_fit_images: int = 5000,
                 image_shape: tuple[int, ...] | None = None, batch_size: int | None = None,
                 random_state: RandomStateLike = None, n_jobs: int | None = None, progress: bool = False) -> None:
        self.patch_size = patch_size
        self.n_filters = n_filters
        self.block_size = block_size
        self.block_stride = block_stride
        self.hist_components = hist_components
        self.hellinger = hellinger
        self.n_fit_images = n_fit_images
        self.image_shape = image_shape
        self.batch_size = batch_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    # ----------------------------------------------------------- validation
    def _check_params(self, image_shape):
        h, w, c = image_shape
        k = check_int(self.patch_size, "patch_size", low=1)
        n_filters = self.n_filters
        if isinstance(n_filters, numbers.Integral) and not isinstance(n_filters, (bool, np.bool_)):
            n_filters = (n_filters,)
        try:
            n_filters = tuple(n_filters)
        except TypeError:
            raise TypeError(f"n_filters={self.n_filters!r} must be a tuple of one or two integers") from None
        if len(n_filters) not in (1, 2):
            raise ValueError(f"n_filters={self.n_filters!r} must hold one or two stages, e.g. (8, 8)")
        dims = (k * k * c, k * k)
        names = ("patch_size**2 * n_channels", "patch_size**2")
        for s, count in enumerate(n_filters):
            check_int(count, f"n_filters[{s}]", low=1, high=dims[s], high_name=names[s])
        check_int(n_filters[-1], f"n_filters[{len(n_filters) - 1}]", low=1, high=_MAX_BITS,
                  high_name="the maximum number of code bits")
        sizes = self.block_size
        scalar = isinstance(sizes, numbers.Integral) and not isinstance(sizes, (bool, np.bool_))
        sizes = (sizes,) if scalar else sizes
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"block_size={self.block_size!r} must be an int or a tuple of ints") from None
        if len(sizes) == 0:
            raise ValueError("block_size=() must hold at least one size")
        strides = self.block_stride
        if strides is None:
            strides = (None,) * len(sizes)
        elif isinstance(strides, numbers.Integral) and not isinstance(strides, (bool, np.bool_)):
            strides = (strides,) * len(sizes)
        else:
            try:
                strides = tuple(strides)
            except TypeError:
                raise TypeError(f"block_stride={self.block_stride!r} must be None, an int or a tuple") from None
            if len(strides) != len(sizes):
                raise ValueError(f"block_stride={self.block_stride!r} must have one stride per block size "
                                 f"({len(sizes)})")
        levels = []
        for j, (size, stride) in enumerate(zip(sizes, strides)):
            name = "block_size" if scalar else f"block_size[{j}]"
            size = check_int(size, name, low=1)
            stride = size if stride is None else check_int(
                stride, "block_stride" if not isinstance(self.block_stride, tuple) else f"block_stride[{j}]", low=1)
            levels.append((min(size, h), min(size, w), stride, stride))
        if self.hist_components is not None:
            check_int(self.hist_components, "hist_components", low=1)
        if not isinstance(self.hellinger, (bool, np.bool_)):
            raise TypeError(f"hellinger={self.hellinger!r} must be True or False")
        check_int(self.n_fit_images, "n_fit_images", low=1)
        if self.batch_size is not None:
            check_int(self.batch_size, "batch_size", low=1)
        return k, tuple(int(v) for v in n_filters), levels

    def _images(self, X, reset):
        """Validated float32 (n, h, w, c) images from X (images or flattened rows)."""
        arr = X if hasattr(X, "ndim") else np.asarray(X)
        if getattr(arr, "ndim", None) == 2 or (not reset and getattr(arr, "ndim", None) == 2):
            if reset and self.image_shape is None:
                raise ValueError(
                    f"X has shape {np.shape(arr)}: pass images of shape (n, h, w) or (n, h, w, c), or set "
                    "image_shape=(h, w) for flattened images"
                )
            X2 = validate_data(self, arr, dtype=[np.float32, np.float64], reset=reset)
            shape = _resolve_image_shape(self.image_shape, X2.shape[1]) if reset else self.image_shape_
            return _check_images(X2.reshape((X2.shape[0],) + shape))
        images = _check_images(arr)
        if reset:
            self.n_features_in_ = int(np.prod(images.shape[1:]))
        elif images.shape[1:] != self.image_shape_:
            raise ValueError(
                f"X has images of shape {images.shape[1:]} (h, w, c), but this PatchEmbedder was fitted on "
                f"{self.image_shape_}"
            )
        return images

    # --------------------------------------------------------------- fitting
    def fit(self, X: ArrayLike, y: object = None) -> PatchEmbedder:
        """Learn the filter banks (and the histogram embedding); returns self.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h, w, c), or (n, h * w * c) with ``image_shape``
            Finite images (any scale: the features depend on signs of
            filter responses only).
        y : None
            Ignored.
        """
        images = self._images(X, reset=True)
        self.image_shape_ = tuple(int(s) for s in images.shape[1:])
        k, n_filters, levels = self._check_params(self.image_shape_)
        show = check_progress(self.progress)
        rng = check_random_state(self.random_state)
        n = images.shape[0]
        m = min(n, int(self.n_fit_images))
        subset = np.sort(rng.choice(n, m, replace=False)) if m < n else np.arange(n)
        sample = np.ascontiguousarray(images[subset])
        self.block_shapes_ = levels
        h, w, _ = self.image_shape_
        self.n_blocks_ = sum(((h - bh) // sy + 1) * ((w - bw) // sx + 1) for bh, bw, sy, sx in levels)
        with thread_limits(self.n_jobs):
            filters, values = [], []
            with stage(show, f"PatchEmbedder.fit: stage-1 filters ({m} images)"):
                W, s = self._learn_bank(sample, k, n_filters[0])
            filters.append(W)
            values.append(s)
            if len(n_filters) == 2:
                with stage(show, f"PatchEmbedder.fit: stage-2 filters ({m} x {n_filters[0]} maps)"):
                    maps = self._stage_maps(sample, W)
                    W2, s2 = self._learn_bank(maps.reshape((-1,) + maps.shape[2:]), k, n_filters[1])
                filters.append(W2)
                values.append(s2)
            self.filters_ = filters
            self.filter_singular_values_ = values
            self.n_maps_ = n_filters[0] if len(n_filters) == 2 else 1
            self.hist_components_ = None
            if self.hist_components is not None:
                with stage(show, "PatchEmbedder.fit: block histograms"):
                    hist = self._histograms(sample)  # (m, n_maps, n_blocks, n_bins)
                n_bins = hist.shape[-1]
                r = min(int(self.hist_components), n_bins, hist.shape[0] * hist.shape[2])
                bases = np.empty((self.n_maps_, r, n_bins), dtype=np.float32)
                with threadpool_limits(1, user_api="blas"):
                    for j in range(self.n_maps_):
                        H = np.ascontiguousarray(hist[:, j].reshape(-1, n_bins))
                        _, _, Vt = svd(H, r, solver="gram")
                        bases[j] = Vt
                self.hist_components_ = bases
        return self

    @staticmethod
    def _patch_rows_per_batch(image_values, patch_dim):
        return max(1, _BUFFER_VALUES // max(image_values * patch_dim, 1))

    def _learn_bank(self, images, k, n_out):
        """Top ``n_out`` right singular vectors of the mean-removed patches of images."""
        n, h, w, c = images.shape
        dim = k * k * c
        G = np.zeros((dim, dim))
        step = self._patch_rows_per_batch(h * w, dim)
        buf = np.empty((min(step, n) * h * w, dim), dtype=np.float32)
        for lo in range(0, n, step):
            block = np.ascontiguousarray(images[lo:lo + step])
            rows = buf[:block.shape[0] * h * w]
            _kernels.extract_patches(block, k, True, rows)
            # one BLAS thread: a tall-skinny product right after a numba
            # parallel region is slowed 10-100x by spinning threads otherwise
            with threadpool_limits(1, user_api="blas"):
                G += (rows.T @ rows).astype(np.float64)
        Vt, s = _leading_right_vectors(G, n_out)
        return np.ascontiguousarray(Vt.reshape(n_out, k, k, c), dtype=np.float32), s

    def _stage_maps(self, images, W):
        """Stage-1 responses of images as (n, L1, h, w, 1) float32."""
        n, h, w, _ = images.shape
        out = np.empty((n, W.shape[0], h, w), dtype=np.float32)
        _kernels.correlate(images, W, out)
        return out[..., None]

    def _auto_batch(self):
        h, w, c = self.image_shape_
        n_bins = 2 ** self.filters_[-1].shape[0]
        per_image = max(self.n_maps_ * self.n_blocks_ * n_bins, self.filters_[0].shape[0] * h * w, h * w * c)
        return max(1, _BUFFER_VALUES // per_image)

    def _histograms(self, images):
        """Block histograms (n, n_maps, n_blocks, 2 ** L_last) float32, normalised if hellinger."""
        n, h, w, _ = images.shape
        maps = self._stage_maps(images, self.filters_[0]) if len(self.filters_) == 2 else images[:, None]
        codes = np.empty((n, self.n_maps_, h, w), dtype=np.int32)
        _kernels.hash_codes(np.ascontiguousarray(maps), self.filters_[-1], codes)
        n_bins = 2 ** self.filters_[-1].shape[0]
        hist = np.zeros((n, self.n_maps_, self.n_blocks_, n_bins), dtype=np.float32)
        start = 0
        for bh, bw, sy, sx in self.block_shapes_:
            count = ((h - bh) // sy + 1) * ((w - bw) // sx + 1)
            level = hist[:, :, start:start + count]
            # one pooling scale fills hist itself; several need a contiguous buffer per scale
            level_out = level if count == self.n_blocks_ else np.zeros(level.shape, dtype=np.float32)
            _kernels.block_histograms(codes, bh, bw, sy, sx, level_out)
            if self.hellinger:
                level_out /= bh * bw
                np.sqrt(level_out, out=level_out)
            if level_out is not level:
                level[...] = level_out
            start += count
        return hist

    # ------------------------------------------------------------- transform
    def transform(self, X: ArrayLike) -> np.ndarray:
        """Features of every image, computed in bounded-memory batches.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h, w, c), or (n, h * w * c) with ``image_shape``
            Images of the fitted shape.

        Returns
        -------
        features : ndarray of shape (n, n_maps_ * n_blocks_ * d)
            float32; ``d = hist_components_.shape[1]``, or ``2 ** L_last``
            without the histogram embedding.
        """
        check_is_fitted(self)
        images = self._images(X, reset=False)
        n = images.shape[0]
        batch = self._auto_batch() if self.batch_size is None else int(self.batch_size)
        out = np.empty((n, self._n_features_out), dtype=np.float32)
        bar = progress_bar(check_progress(self.progress), total=n, unit="img",
                           desc="PatchEmbedder.transform")
        with thread_limits(self.n_jobs), bar:
            for lo in range(0, n, batch):
                hist = self._histograms(np.ascontiguousarray(images[lo:lo + batch]))
                if self.hist_components_ is not None:
                    # (b, maps, blocks, bins) x (maps, r, bins) -> (b, maps, blocks, r)
                    with threadpool_limits(1, user_api="blas"):
                        feats = np.stack([hist[:, j] @ self.hist_components_[j].T for j in range(self.n_maps_)],
                                         axis=1)
                else:
                    feats = hist
                out[lo:lo + hist.shape[0]] = feats.reshape(hist.shape[0], -1)
                bar.update(hist.shape[0])
        return out

    @property
    def _n_features_out(self):
        d = self.hist_components_.shape[1] if self.hist_components_ is not None else 2 ** self.filters_[-1].shape[0]
        return self.n_maps_ * self.n_blocks_ * d

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
