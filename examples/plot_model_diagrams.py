"""
=================================
Diagrams of the models and of fit
=================================

What each estimator trains, drawn as the data flows through it: the networks (blue),
the clustering steps (orange), the data (light grey) and the losses (grey);
then what ``fit`` does with failures, what a saved model holds, and where the data
lives during training. The user guide pages show each diagram beside its topic.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

COLOURS = {"data": "#e8e8e8", "net": "#cfe2f3", "cluster": "#fde0c5", "loss": "#d9d9d9",
           "step": "#fff2cc", "error": "#f4cccc"}
LABELS = {"data": "data", "net": "network (trained)", "cluster": "clustering step",
          "loss": "loss", "step": "step", "error": "error raised"}


def draw(ax, boxes, arrows, title):
    """``boxes``: name -> (x, y, text, kind); ``arrows``: (from, to, label, bend)."""
    for x, y, text, kind in boxes.values():
        ax.add_patch(FancyBboxPatch((x - 1.0, y - 0.36), 2.0, 0.72,
                                    boxstyle="round,pad=0.05", facecolor=COLOURS[kind],
                                    edgecolor="#555555"))
        ax.text(x, y, text, ha="center", va="center", fontsize=7.5)
    for start, end, label, bend in arrows:
        (x0, y0), (x1, y1) = boxes[start][:2], boxes[end][:2]
        dx = 1.05 if x1 > x0 else (-1.05 if x1 < x0 else 0)
        dy = 0.4 if (y1 > y0 and dx == 0) else (-0.4 if (y1 < y0 and dx == 0) else 0)
        ax.add_patch(FancyArrowPatch((x0 + dx, y0 + dy), (x1 - dx, y1 - dy),
                                     connectionstyle=f"arc3,rad={bend}",
                                     arrowstyle="-|>", mutation_scale=12, color="#333333"))
        if label:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.45 + abs(bend) * 1.5, label,
                    ha="center", va="bottom", fontsize=7, style="italic")
    ax.set_xlim(-1.2, 11.2)
    ax.set_ylim(-2.0, 1.9)
    ax.set_axis_off()
    ax.set_title(title, fontsize=10, loc="left")
    return [k for k in COLOURS if any(box[3] == k for box in boxes.values())]


def legend(fig, kinds):
    """A legend of the box colours that the figure uses."""
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=COLOURS[k], edgecolor="#555555")
               for k in kinds]
    fig.legend(handles, [LABELS[k] for k in kinds], loc="lower center", ncol=len(kinds),
               fontsize=8, frameon=False)


# %%
# DEC and IDEC
# ------------
# Pretraining fits the autoencoder; the clustering phase keeps the encoder, starts
# the centroids from a clustering of the embedding and minimises KL(P‖Q) (IDEC adds
# the reconstruction loss, weighted by ``gamma``).
fig, ax = plt.subplots(figsize=(9, 3))
kinds = draw(ax, {
    "x": (0, 0.8, "X (rows)", "data"),
    "enc": (2.5, 0.8, "encoder\nd-500-500-2000", "net"),
    "z": (5, 0.8, "embedding z\n(10-d)", "data"),
    "dec": (7.5, 0.8, "decoder\n(pretraining; IDEC)", "net"),
    "rec": (10, 0.8, "reconstruction\nloss", "loss"),
    "q": (5, -1.2, "Student-t soft\nassignment Q", "cluster"),
    "p": (7.5, -1.2, "target P\n(sharpened Q)", "cluster"),
    "kl": (10, -1.2, "KL(P‖Q)", "loss"),
    "init": (2.5, -1.2, "centroids μ\n(spectral / k-means)", "cluster"),
}, [("x", "enc", "", 0), ("enc", "z", "", 0), ("z", "dec", "", 0), ("dec", "rec", "", 0),
    ("z", "q", "", 0), ("init", "q", "", 0), ("q", "p", "every pass", 0),
    ("p", "kl", "", 0)], "DEC / IDEC")
legend(fig, kinds)
plt.show()

# %%
# DeepCluster
# -----------
# Each epoch clusters the network's own features and trains the network to predict
# those clusters (pseudo-labels) with a fresh classifier head.
fig, ax = plt.subplots(figsize=(9, 3))
kinds = draw(ax, {
    "x": (0, 0.8, "X (images\nor rows)", "data"),
    "bb": (2.5, 0.8, "backbone\n(convnet / MLP)", "net"),
    "f": (5, 0.8, "features", "data"),
    "pca": (7.5, 0.8, "PCA-whitening\n+ L2", "cluster"),
    "km": (10, 0.8, "k-means\n→ pseudo-labels", "cluster"),
    "head": (5, -1.2, "classifier head\n(fresh each epoch)", "net"),
    "ce": (7.5, -1.2, "cross-entropy\nvs pseudo-labels", "loss"),
    "final": (10, -1.2, "final clustering\n(spectral / k-means)", "cluster"),
}, [("x", "bb", "", 0), ("bb", "f", "", 0), ("f", "pca", "", 0), ("pca", "km", "", 0),
    ("f", "head", "", 0), ("head", "ce", "", 0), ("km", "ce", "", 0),
    ("km", "final", "after the last epoch", 0)], "DeepCluster (one epoch)")
legend(fig, kinds)
plt.show()

# %%
# MultiTaskRNNClusterer
# ---------------------
# A bidirectional recurrent encoder reads the first part of each window; two
# decoders reconstruct it (time-reversed) and predict the rest. The windows are then
# clustered in the embedding beside simple per-channel statistics.
fig, ax = plt.subplots(figsize=(9, 3))
kinds = draw(ax, {
    "x": (0, 0.8, "windows\n(n, steps, channels)", "data"),
    "enc": (2.5, 0.8, "bidirectional\nConvGRU encoder", "net"),
    "z": (5, 0.8, "embedding z", "data"),
    "rec": (7.5, 1.3, "GRU decoder:\nreconstruct", "net"),
    "fut": (7.5, 0.1, "GRU decoder:\npredict future", "net"),
    "loss": (10, 0.8, "reconstruction\n+ future loss", "loss"),
    "stats": (2.5, -1.3, "window statistics\n(mean, std, step)", "data"),
    "sc": (5, -1.3, "spectral clustering\n(10-NN graph)", "cluster"),
    "lab": (7.5, -1.3, "labels_", "data"),
}, [("x", "enc", "", 0), ("enc", "z", "", 0), ("z", "rec", "", 0), ("z", "fut", "", 0),
    ("rec", "loss", "", 0), ("fut", "loss", "", 0), ("z", "sc", "", 0),
    ("stats", "sc", "", 0), ("sc", "lab", "", 0)], "MultiTaskRNNClusterer")
legend(fig, kinds)
plt.show()

# %%
# DeepSubspaceClustering and DeepMultimodalSubspaceClustering
# -----------------------------------------------------------
# A self-expression layer C (n × n, zero diagonal) writes every code as a
# combination of the other codes; the decoder reconstructs from C·Z. Spectral
# clustering of an affinity built from C gives the clusters. The multimodal model
# has one autoencoder per view and, by default, shares only C.
fig, ax = plt.subplots(figsize=(9, 3))
kinds = draw(ax, {
    "x": (0, 0.8, "X (rows, images\nor views)", "data"),
    "enc": (2.5, 0.8, "encoder(s)", "net"),
    "z": (5, 0.8, "codes Z", "data"),
    "c": (7.5, 0.8, "self-expression\nC·Z (diag C = 0)", "net"),
    "dec": (10, 0.8, "decoder(s)", "net"),
    "loss": (10, -1.2, "reconstruction\n+ ‖C‖² + ‖Z − CZ‖²", "loss"),
    "aff": (5, -1.2, "affinity from C\n(threshold, SVD)", "cluster"),
    "sc": (7.5, -1.2, "spectral\nclustering", "cluster"),
}, [("x", "enc", "", 0), ("enc", "z", "", 0), ("z", "c", "", 0), ("c", "dec", "", 0),
    ("dec", "loss", "", 0), ("c", "aff", "after training", 0.0), ("aff", "sc", "", 0)],
    "DeepSubspaceClustering / DeepMultimodalSubspaceClustering")
legend(fig, kinds)
plt.show()

# %%
# What ``fit`` does with bad input and failures
# ---------------------------------------------
# Every estimator's ``fit`` checks its parameters, then its input, then trains; an
# error at any step leaves the estimator as it was before ``fit`` (see the user
# guide's "Bad input and failures").
fig, ax = plt.subplots(figsize=(9, 3))
kinds = draw(ax, {
    "p": (0, 0.8, "parameters\nchecked", "step"),
    "x": (2.5, 0.8, "X checked and\nconverted (inputs)", "step"),
    "t": (5, 0.8, "training phases\n(divergence guard)", "net"),
    "a": (7.5, 0.8, "fitted attributes\nset (labels_, ...)", "data"),
    "e1": (0, -1.2, "ValueError /\nTypeError", "error"),
    "e2": (2.5, -1.2, "ValueError naming\nthe problem", "error"),
    "e3": (5, -1.2, "FloatingPointError,\nMemoryError, Ctrl-C", "error"),
    "r": (7.5, -1.2, "estimator as\nbefore fit", "data"),
}, [("p", "x", "", 0), ("x", "t", "", 0), ("t", "a", "", 0), ("p", "e1", "", 0),
    ("x", "e2", "", 0), ("t", "e3", "", 0), ("e3", "r", "", 0)],
    "fit: all or nothing")
legend(fig, kinds)
plt.show()

# %%
# Saving and loading
# ------------------
# ``save`` writes a zip of JSON (the parameters and fitted scalars) and ``.npy``
# arrays (weights and fitted arrays); ``load`` rebuilds the networks from the
# parameters in the package's own code, so the file runs no code.
fig, ax = plt.subplots(figsize=(9, 3))
kinds = draw(ax, {
    "est": (0, 0.8, "fitted\nestimator", "data"),
    "json": (2.5, 1.3, "parameters\n(JSON)", "data"),
    "npy": (2.5, 0.1, "weights, arrays\n(.npy)", "data"),
    "zip": (5, 0.8, "model.skdc\n(one zip file)", "step"),
    "build": (7.5, 0.8, "networks rebuilt\nby the package", "net"),
    "out": (10, 0.8, "estimator:\nsame predictions", "data"),
}, [("est", "json", "", 0), ("est", "npy", "", 0), ("json", "zip", "", 0),
    ("npy", "zip", "", 0), ("zip", "build", "load", 0), ("build", "out", "", 0)],
    "save / load")
legend(fig, kinds)
plt.show()

# %%
# Data on the device
# ------------------
# Training keeps one float32 copy of the training array on the device and slices
# each batch out of it; after ``fit`` the networks run in float64.
fig, ax = plt.subplots(figsize=(9, 3))
kinds = draw(ax, {
    "x": (0, 0.8, "X (NumPy)", "data"),
    "dev": (2.5, 0.8, "one float32 copy\non cuda / cpu", "data"),
    "b": (5, 0.8, "batches sliced\nby index", "data"),
    "net": (7.5, 0.8, "networks train\n(float32 / bf16)", "net"),
    "inf": (10, 0.8, "predict, transform\n(float64)", "step"),
    "auto": (2.5, -1.2, "device='auto':\nCUDA if available", "step"),
}, [("x", "dev", "", 0), ("dev", "b", "", 0), ("b", "net", "", 0), ("net", "inf", "", 0),
    ("auto", "dev", "", 0)], "Devices")
legend(fig, kinds)
plt.show()
