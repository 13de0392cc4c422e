"""Recurrent modules of the multi-task RNN clusterer: a ConvGRU encoder and GRU decoders.

The model is the multi-task recurrent autoencoder of "Deep Inertial Sensory
Clustering" (Amrani): a bidirectional ConvGRU encodes the first part of a sensor
window, one conditional GRU decoder reconstructs that part time-reversed and a
second one predicts the rest of the window.
"""

import warnings

import torch
from torch import nn
from torch.nn import functional as F

from .. import distributed


class ConvGRUCell(nn.Module):
    """A GRU cell whose gates are 1-D convolutions over a spatial axis.

    With ``*`` the 'same' convolution over the spatial axis, gates in the order
    reset, update, candidate (``torch.nn.GRU``'s r, z, n)::

        r  = sigmoid(W_ir * x + b_ir + W_hr * h + b_hr)
        z  = sigmoid(W_iz * x + b_iz + W_hz * h + b_hz)
        n  = tanh(W_in * x + b_in + r ⊙ (W_hn * h + b_hn))
        h' = (1 - z) ⊙ n + z ⊙ h

    The reset gate scales the hidden convolution *after* it is applied, bias
    included: the formula of ``torch.nn.GRU``/cuDNN, and of the ConvGRU cell of the
    reference code (``convolutional_rnn``'s ``GRUCell``, which copies PyTorch's),
    not Ballas et al.'s ``W_hn * (r ⊙ h)``. With a spatial axis of length 1, or
    ``kernel_size=1``, every convolution is a linear map over channels and the cell
    is exactly ``torch.nn.GRUCell`` with the weights of :meth:`gru_weights`.

    Parameters
    ----------
    in_channels : int
        Channels of the input at one time step, shape ``(batch, in_channels, length)``.
    hidden_size : int
        Channels of the hidden state, shape ``(batch, hidden_size, length)``.
    kernel_size : int
        Width of the gate convolutions ('same' padding, so ``length`` is kept).
    """

    def __init__(self, in_channels, hidden_size, kernel_size=1):
        super().__init__()
        self.hidden_size = hidden_size
        self.input_conv = nn.Conv1d(in_channels, 3 * hidden_size, kernel_size, padding="same")
        self.hidden_conv = nn.Conv1d(hidden_size, 3 * hidden_size, kernel_size, padding="same",
                                     bias=True)

    def input_gates(self, x):
        """Input-to-hidden gate pre-activations; computed for all steps at once."""
        return _conv(self.input_conv, x)

    def forward(self, gates_x, h):
        """One step from precomputed ``input_gates(x_t)`` and the previous state ``h``."""
        xr, xu, xn = gates_x.chunk(3, dim=1)
        hr, hu, hn = _conv(self.hidden_conv, h).chunk(3, dim=1)
        reset = torch.sigmoid(xr + hr)
        update = torch.sigmoid(xu + hu)
        candidate = torch.tanh(xn + reset * hn)
        return (1 - update) * candidate + update * h

    def gru_weights(self):
        """``[weight_ih, weight_hh, bias_ih, bias_hh]`` of the equivalent ``torch.nn.GRU``.

        The centre taps of the convolutions, shapes ``(3 * hidden_size, in_channels)``,
        ``(3 * hidden_size, hidden_size)``, ``(3 * hidden_size,)`` twice: views of the
        parameters, so gradients reach them. They are the whole cell when the spatial
        axis has length 1 or ``kernel_size=1``.
        """
        centre = (self.input_conv.kernel_size[0] - 1) // 2
        return [self.input_conv.weight[:, :, centre], self.hidden_conv.weight[:, :, centre],
                self.input_conv.bias, self.hidden_conv.bias]


def _conv(conv, x):
    """``conv(x)``; over a spatial axis of length 1 only the centre tap of a 'same'
    convolution sees the input, so it is computed as a (much faster) linear map."""
    if x.shape[-1] != 1:
        return conv(x)
    centre = (conv.kernel_size[0] - 1) // 2
    return F.linear(x[..., 0], conv.weight[:, :, centre], conv.bias).unsqueeze(-1)


class BiConvGRUEncoder(nn.Module):
    """Stacked bidirectional ConvGRU; returns the last forward ‖ last backward state.

    When the gate convolutions are linear maps over channels (a spatial axis of
    length 1, or ``kernel_size=1``) the encoder is a stacked bidirectional
    ``torch.nn.GRU`` and runs as one: PyTorch's fused GRU (cuDNN on a GPU) with the
    centre taps of the cells' convolutions as its weights (:meth:`gru_weights`), the
    positions of the spatial axis as extra sequences. Otherwise the cells run step by
    step over time, every step convolving across the whole spatial axis. Both paths
    compute the same function of the same parameters.

    Parameters
    ----------
    in_channels : int
        Convolution input channels of one time step.
    hidden_size : int
        Hidden channels per direction.
    num_layers : int
        Stacked layers; layer ``l > 0`` reads both directions of layer ``l - 1``.
    kernel_size : int
        Width of the gate convolutions.
    dropout : float
        Dropout on the outputs of every layer but the last (as ``torch.nn.GRU``). In a
        data-parallel fit (:mod:`skdeepcluster.distributed`) each process drops its
        rows as one process training on the whole batch would.

    Attributes
    ----------
    fused : bool
        Use the fused GRU where it applies (default True); False forces the
        step-by-step ConvGRU (the reference implementation, for tests).
    """

    def __init__(self, in_channels, hidden_size, num_layers=2, kernel_size=1, dropout=0.0):
        super().__init__()
        self.hidden_size = hidden_size
        self.kernel_size = kernel_size
        self.layers = nn.ModuleList(
            nn.ModuleList(ConvGRUCell(in_channels if i == 0 else 2 * hidden_size,
                                      hidden_size, kernel_size) for _ in range(2))
            for i in range(num_layers)
        )
        self.dropout = nn.Dropout(dropout)
        self.fused = True

    def gru_weights(self):
        """The weights of the equivalent bidirectional ``torch.nn.GRU``, in its order.

        Layer by layer, forward then backward direction (``_reverse``), each
        ``weight_ih, weight_hh, bias_ih, bias_hh``: the order of
        ``torch.nn.GRU(..., bidirectional=True)._flat_weights_names``.
        """
        return [w for cells in self.layers for cell in cells for w in cell.gru_weights()]

    def forward(self, x):
        """Encode ``x`` of shape ``(batch, time, channels, length)``.

        Returns a tensor of shape ``(batch, 2 * hidden_size * length)``: the final
        states of the last layer, ``(direction, hidden channel, position)`` flattened.
        """
        if self.fused and (x.shape[-1] == 1 or self.kernel_size == 1):
            return self._forward_fused(x)
        return self._forward_steps(x)

    def _forward_fused(self, x):
        batch, n_steps, channels, length = x.shape
        # every position of the spatial axis is a sequence of its own
        seq = x.permute(0, 3, 1, 2).reshape(batch * length, n_steps, channels)
        h0 = x.new_zeros(2 * len(self.layers), batch * length, self.hidden_size)
        weights, n_layers, p = self.gru_weights(), len(self.layers), self.dropout.p
        parallel = distributed.current()
        if not self.training or p == 0 or n_layers == 1 or parallel is None:
            _, h_n = self._gru(seq, h0, weights, n_layers, p)
        else:  # one call per layer, with the dropout masks of the whole batch between them
            per = len(weights) // n_layers
            for i in range(n_layers):
                if i:  # the mask of the time-major output (steps, rows, features), as torch.gru
                    seq = parallel.dropout(seq.transpose(0, 1), p, batch_dim=1).transpose(0, 1)
                seq, h_n = self._gru(seq, h0[2 * i:2 * i + 2], weights[i * per:(i + 1) * per],
                                     1, 0.0)
        # h_n[-2:]: the last layer's forward state after the last step and backward
        # state after step 0, shape (2, batch * length, hidden)
        last = h_n[-2:].unflatten(1, (batch, length))
        return last.permute(1, 0, 3, 2).flatten(1)

    def _gru(self, seq, h0, weights, n_layers, dropout):
        args = (seq, h0, weights, True, n_layers, dropout, self.training,
                True, True)  # biases, ..., bidirectional, batch_first
        if not seq.is_cuda:
            return torch.gru(*args)
        with warnings.catch_warnings():
            # cuDNN copies the weights, which are views of the convolutions' weights,
            # into one buffer at every call (a few MB, on the device), with a warning
            warnings.filterwarnings("ignore", message="RNN module weights are not part")
            return torch.gru(*args)

    def _forward_steps(self, x):
        batch, n_steps, _, length = x.shape
        for i, cells in enumerate(self.layers):
            last_layer = i == len(self.layers) - 1
            outputs, finals = [], []
            for direction, cell in enumerate(cells):
                # unbind, not gates[:, t]: the backward of one unbind is one stack, that
                # of n_steps selects n_steps zero-filled copies of all the gates
                gates = cell.input_gates(x.flatten(0, 1)).unflatten(0, (batch, n_steps))
                gates = gates.unbind(1)
                h = x.new_zeros(batch, self.hidden_size, length)
                steps = range(n_steps) if direction == 0 else range(n_steps - 1, -1, -1)
                seq = [None] * n_steps
                for t in steps:
                    h = cell(gates[t], h)
                    seq[t] = h
                finals.append(h)  # forward: after the last step; backward: after step 0
                if not last_layer:
                    outputs.append(torch.stack(seq, dim=1))
            if not last_layer:
                x = self.dropout(torch.cat(outputs, dim=2))
        return torch.cat(finals, dim=1).flatten(1)


class ConditionalGRUDecoder(nn.Module):
    """Autoregressive GRU decoder: each step reads the previous step's output.

    The first input is zeros. During training, with probability
    ``teacher_forcing`` a step reads the true previous target instead.

    Steps whose inputs are known in advance (the first one, and runs of forced
    steps) run as one call of the stacked ``torch.nn.GRU``; the others, which read
    the previous output, step through the layers with ``torch.gru_cell`` (ATen's GRU
    cell, a fused kernel on a GPU) on the same weights, no ``nn.GRU`` call per step.
    With ``teacher_forcing=1`` the whole sequence is one call.

    Parameters
    ----------
    n_channels : int
        Channels of the generated series.
    hidden_size : int
    num_layers : int
    """

    def __init__(self, n_channels, hidden_size, num_layers=2):
        super().__init__()
        self.gru = nn.GRU(n_channels, hidden_size, num_layers, batch_first=True)
        self.out = nn.Linear(hidden_size, n_channels)

    def forward(self, h0, n_steps, targets=None, teacher_forcing=0.0):
        """Generate ``n_steps`` steps from the initial state ``h0`` (layers, batch, hidden).

        Returns a tensor of shape ``(batch, n_steps, n_channels)``.
        """
        batch, n_out = h0.shape[1], self.out.out_features
        if n_steps == 0:
            return h0.new_zeros(batch, 0, n_out)
        # known[t]: step t's input does not depend on the outputs. With targets, draw
        # t decides whether step t + 1 reads targets[:, t] (one draw per step, as many
        # and in the same order as a draw before each step).
        known = [True] + [False] * (n_steps - 1)
        if targets is not None:
            known[1:] = (torch.rand(n_steps) < teacher_forcing).tolist()[:-1]
        chunks, h, y, t = [], h0, None, 0
        while t < n_steps:
            end = t + 1
            while end < n_steps and known[end] == known[t]:
                end += 1
            if known[t]:
                if t > 0:
                    inputs = targets[:, t - 1 : end - 1]
                else:  # zeros, then (forced steps) the targets
                    inputs = h0.new_zeros(batch, 1, n_out)
                    if end > 1:
                        inputs = torch.cat([inputs, targets[:, : end - 1]], dim=1)
                out, h = self.gru(inputs, h)
                chunk = self.out(out)
                y = chunk[:, -1]
            else:
                chunk, h, y = self._feedback(y, h, end - t)
            chunks.append(chunk)
            t = end
        return chunks[0] if len(chunks) == 1 else torch.cat(chunks, dim=1)

    def _feedback(self, y, h, n_steps):
        """``n_steps`` steps that each read the previous output ``y`` (batch, n_out).

        Returns the outputs (batch, n_steps, n_out), the state and the last output.
        """
        weights = self.gru.all_weights  # per layer [w_ih, w_hh, b_ih, b_hh]
        states = list(h.unbind(0))
        outputs = []
        for _ in range(n_steps):
            step_input = y
            for layer, w in enumerate(weights):
                step_input = states[layer] = torch.gru_cell(step_input, states[layer], *w)
            y = F.linear(step_input, self.out.weight, self.out.bias)
            outputs.append(y)
        return torch.stack(outputs, dim=1), torch.stack(states), y


class _BatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d that normalises a training batch of one row with its running statistics.

    A single row has no batch variance; this keeps training possible when the last
    mini-batch (or the whole data set) has one row.
    """

    def forward(self, x):
        if self.training and x.shape[0] == 1:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight,
                                self.bias, False, 0.0, self.eps)
        return super().forward(x)


class MultiTaskRecurrentAutoencoder(nn.Module):
    """Bidirectional ConvGRU encoder with a reconstruction and a future-prediction decoder.

    A window ``x`` of shape ``(batch, n_timesteps, n_channels)`` is split: the
    encoder reads the first ``n_timesteps - future_steps`` steps ("past");
    ``z = tanh(BatchNorm(Linear(last forward ‖ last backward state)))``. Both
    decoders start from ``tanh(BatchNorm(Linear(z)))`` (one state, copied to every
    layer); one reconstructs the past time-reversed, the other predicts the last
    ``future_steps`` steps. The module follows the ``encode``/``decode``/
    ``reconstruction_loss`` protocol of the shared autoencoder nets.

    Parameters
    ----------
    n_channels, n_timesteps, future_steps : int
        Window layout; ``future_steps`` may be 0 (no future decoder task).
    hidden_size : int
        Hidden channels of the encoder (per direction) and of the decoders.
    embedding_dim : int
    num_layers : int
        Layers of the encoder and of each decoder.
    kernel_size : int
        Width of the ConvGRU gate convolutions.
    dropout : float
        Dropout between encoder layers.
    sensor_axes : int or None
        None: the channels are the convolution's input channels over a spatial axis
        of length 1 (the reference layout, equal to a GRU). An int ``a``: channels are
        grouped as ``n_channels // a`` sensors × ``a`` axes (e.g. acc x, y, z, gyro x,
        y, z) and the convolution runs across the axes.
    teacher_forcing : float
        Probability that a decoder step reads the true previous target in training.
    loss : {'mse', 'normalized'}
        'mse': mean squared error of each decoder. 'normalized': each window-channel's
        squared errors are divided by that window-channel's variance over the decoded
        steps plus ``normalized_loss_eps``, so that windows with small oscillations
        weigh as much as windows with large ones.
    znorm_input : bool
        Also feed the encoder each window z-normalised per channel over its past
        steps (``n_channels`` extra input channels): shape and level both visible.
    """

    #: added to each window-channel's variance in the 'normalized' loss (scaled units)
    normalized_loss_eps = 1e-2

    def __init__(self, n_channels, n_timesteps, future_steps, *, hidden_size=256,
                 embedding_dim=64, num_layers=2, kernel_size=1, dropout=0.2,
                 sensor_axes=None, teacher_forcing=0.0, loss="mse", znorm_input=False):
        super().__init__()
        if loss not in ("mse", "normalized"):
            raise ValueError(f"loss must be 'mse' or 'normalized', got {loss!r}.")
        self.loss = loss
        self.znorm_input = znorm_input
        self.n_channels = n_channels
        self.future_steps = future_steps
        self.past_steps = n_timesteps - future_steps
        self.num_layers = num_layers
        self.teacher_forcing = teacher_forcing
        self.length = sensor_axes or 1
        self.conv_channels = n_channels * (2 if znorm_input else 1) // self.length
        self.encoder = BiConvGRUEncoder(self.conv_channels, hidden_size, num_layers,
                                        kernel_size, dropout)
        self.embed = nn.Linear(2 * hidden_size * self.length, embedding_dim)
        self.embed_norm = _BatchNorm1d(embedding_dim)
        self.init_hidden = nn.Linear(embedding_dim, hidden_size)
        self.init_norm = _BatchNorm1d(hidden_size)
        self.reconstructor = ConditionalGRUDecoder(n_channels, hidden_size, num_layers)
        self.predictor = ConditionalGRUDecoder(n_channels, hidden_size, num_layers)
        self._forcing_targets = None

    def encode(self, x):
        """Embed the past part of windows ``x`` (batch, n_timesteps, n_channels)."""
        if self.training and self.teacher_forcing > 0:
            # decode(z) has no access to x; keep it for teacher forcing until decode runs
            self._forcing_targets = x
        past = x[:, : self.past_steps]
        if self.znorm_input:
            # unbiased=False: a single step has variance 0, its z-norm is 0
            centred = past - past.mean(dim=1, keepdim=True)
            std = centred.pow(2).mean(dim=1, keepdim=True).sqrt()
            past = torch.cat([past, centred / (std + 1e-6)], dim=2)
        seq = past.reshape(past.shape[0], past.shape[1], self.conv_channels, self.length)
        return torch.tanh(self.embed_norm(self.embed(self.encoder(seq))))

    def decode(self, z):
        """Return ``(reversed past, future)`` generated from the embedding ``z``."""
        h0 = torch.tanh(self.init_norm(self.init_hidden(z)))
        h0 = h0.unsqueeze(0).expand(self.num_layers, -1, -1).contiguous()
        x, self._forcing_targets = self._forcing_targets, None
        past_rev = future = None
        if x is not None and self.training and x.shape[0] == z.shape[0]:
            past_rev, future = x[:, : self.past_steps].flip(1), x[:, self.past_steps :]
        rec = self.reconstructor(h0, self.past_steps, past_rev, self.teacher_forcing)
        fut = self.predictor(h0, self.future_steps, future, self.teacher_forcing)
        return rec, fut

    def reconstruction_loss(self, recon, x):
        """Loss of the time-reversed past plus loss of the future (L_AE)."""
        rec, fut = recon
        loss = self._decoder_loss(rec, x[:, : self.past_steps].flip(1))
        if self.future_steps:
            loss = loss + self._decoder_loss(fut, x[:, self.past_steps :])
        return loss

    def _decoder_loss(self, pred, target):
        if self.loss == "mse":
            return F.mse_loss(pred, target)
        # per window-channel variance over the decoded steps; a constant, not a path
        # for gradients
        var = target.detach().var(dim=1, unbiased=False, keepdim=True)
        return ((pred - target) ** 2 / (var + self.normalized_loss_eps)).mean()

    def forward(self, x):
        return self.decode(self.encode(x))
