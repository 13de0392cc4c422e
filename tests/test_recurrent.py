"""The recurrent modules: the fused and step-by-step encoder paths, the decoder, training."""

import pytest
import torch

from skdeepcluster.datasets import make_sensor_windows
from skdeepcluster.nn import BiConvGRUEncoder, ConditionalGRUDecoder, MultiTaskRecurrentAutoencoder

# (in_channels, length, kernel_size): the fused path covers the first three
LAYOUTS = [(5, 1, 1), (5, 1, 3), (2, 3, 1)]


def _encoder(in_channels, kernel_size, num_layers, dropout, seed=0):
    torch.manual_seed(seed)
    return BiConvGRUEncoder(in_channels, 6, num_layers, kernel_size, dropout).eval()


def _both_paths(encoder, x, monkeypatch):
    """(fused output, step-by-step output); fails if the fused call steps."""
    with monkeypatch.context() as m:
        m.setattr(encoder, "_forward_steps", lambda x: pytest.fail("fused path not taken"))
        fused = encoder(x)
    encoder.fused = False
    try:
        steps = encoder(x)
    finally:
        encoder.fused = True
    return fused, steps


def _copy_cells_to_gru(encoder, gru):
    """ConvGRU cells -> torch.nn.GRU: centre taps, gate order (r, z, n) kept."""
    with torch.no_grad():
        for k, cells in enumerate(encoder.layers):
            for cell, suffix in zip(cells, ["", "_reverse"]):
                c = (cell.input_conv.kernel_size[0] - 1) // 2
                getattr(gru, f"weight_ih_l{k}{suffix}").copy_(cell.input_conv.weight[:, :, c])
                getattr(gru, f"weight_hh_l{k}{suffix}").copy_(cell.hidden_conv.weight[:, :, c])
                getattr(gru, f"bias_ih_l{k}{suffix}").copy_(cell.input_conv.bias)
                getattr(gru, f"bias_hh_l{k}{suffix}").copy_(cell.hidden_conv.bias)


def _copy_gru_to_cells(gru, encoder):
    """torch.nn.GRU -> ConvGRU cells with kernel_size=1."""
    with torch.no_grad():
        for k, cells in enumerate(encoder.layers):
            for cell, suffix in zip(cells, ["", "_reverse"]):
                cell.input_conv.weight.copy_(getattr(gru, f"weight_ih_l{k}{suffix}")[..., None])
                cell.hidden_conv.weight.copy_(getattr(gru, f"weight_hh_l{k}{suffix}")[..., None])
                cell.input_conv.bias.copy_(getattr(gru, f"bias_ih_l{k}{suffix}"))
                cell.hidden_conv.bias.copy_(getattr(gru, f"bias_hh_l{k}{suffix}"))


def _gru_embedding(gru, x):
    """Last forward ‖ last backward state of the last layer, as the encoder returns it."""
    _, h_n = gru(x)
    return torch.cat([h_n[-2], h_n[-1]], dim=1)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("dropout", [0.0, 0.5])
@pytest.mark.parametrize("in_channels, length, kernel_size", LAYOUTS)
def test_fused_and_step_encoder_paths_agree(in_channels, length, kernel_size, num_layers,
                                            dropout, monkeypatch):
    encoder = _encoder(in_channels, kernel_size, num_layers, dropout)
    x = torch.randn(4, 9, in_channels, length)
    fused, steps = _both_paths(encoder, x, monkeypatch)
    assert fused.shape == steps.shape == (4, 2 * 6 * length)
    torch.testing.assert_close(fused, steps, atol=1e-5, rtol=0)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("in_channels, length, kernel_size", LAYOUTS)
def test_fused_and_step_encoder_gradients_agree(in_channels, length, kernel_size, num_layers):
    encoder = _encoder(in_channels, kernel_size, num_layers, 0.0).double()
    x = torch.randn(3, 7, in_channels, length, dtype=torch.float64, requires_grad=True)
    grads = []
    for fused in (True, False):
        encoder.fused = fused
        out = encoder(x)
        grads.append(torch.autograd.grad((out * torch.linspace(-1, 1, out.shape[1],
                                                               dtype=out.dtype)).sum(),
                                         [x, *encoder.parameters()], allow_unused=True))
    for g_fused, g_steps in zip(*grads):
        if g_steps is None:  # non-centre taps: unused over a spatial axis of length 1
            assert g_fused is None
        else:
            torch.testing.assert_close(g_fused, g_steps, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("dropout", [0.0, 0.5])
@pytest.mark.parametrize("kernel_size", [1, 3])
def test_encoder_equals_torch_gru_with_copied_weights(num_layers, dropout, kernel_size,
                                                      monkeypatch):
    gru_dropout = dropout if num_layers > 1 else 0.0  # nn.GRU warns about the useless one
    # ConvGRU -> nn.GRU: both encoder paths compute the bidirectional GRU
    encoder = _encoder(5, kernel_size, num_layers, dropout)
    gru = torch.nn.GRU(5, 6, num_layers, batch_first=True, bidirectional=True,
                       dropout=gru_dropout).eval()
    _copy_cells_to_gru(encoder, gru)
    x = torch.randn(4, 9, 5)
    expected = _gru_embedding(gru, x)
    for out in _both_paths(encoder, x[..., None], monkeypatch):
        torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)
    # nn.GRU -> ConvGRU: a freshly drawn GRU's weights give the encoder its function
    torch.manual_seed(1)
    gru = torch.nn.GRU(5, 6, num_layers, batch_first=True, bidirectional=True,
                       dropout=gru_dropout).eval()
    encoder = _encoder(5, 1, num_layers, dropout, seed=2)
    _copy_gru_to_cells(gru, encoder)
    expected = _gru_embedding(gru, x)
    for out in _both_paths(encoder, x[..., None], monkeypatch):
        torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)


def test_encoder_gru_weights_follow_torch_gru_order():
    encoder = _encoder(5, 3, 2, 0.0)
    gru = torch.nn.GRU(5, 6, 2, batch_first=True, bidirectional=True)
    weights = encoder.gru_weights()
    assert [w.shape for w in weights] == [w.shape for ws in gru.all_weights for w in ws]
    # views of the parameters: the centre taps of the convolutions
    cell = encoder.layers[1][1]
    assert weights[12].data_ptr() == cell.input_conv.weight[:, :, 1].data_ptr()
    assert weights[15] is cell.hidden_conv.bias


def test_fused_encoder_in_training_mode_applies_dropout_between_layers():
    encoder = _encoder(5, 1, 2, 0.5).train()
    x = torch.randn(4, 9, 5, 1)
    torch.manual_seed(0)
    a = encoder(x)
    torch.manual_seed(1)
    assert not torch.allclose(a, encoder(x))
    torch.manual_seed(0)
    torch.testing.assert_close(encoder(x), a)
    one_layer = _encoder(5, 1, 1, 0.5).train()  # no layer to drop after
    torch.testing.assert_close(one_layer(x), one_layer.eval()(x))


def _reference_decoder(decoder, h0, n_steps, targets=None, teacher_forcing=0.0):
    """The per-step loop the decoder replaces: nn.GRU on one step at a time."""
    batch = h0.shape[1]
    step_input = h0.new_zeros(batch, 1, decoder.out.out_features)
    h, outputs = h0, []
    for t in range(n_steps):
        out, h = decoder.gru(step_input, h)
        y = decoder.out(out)
        outputs.append(y)
        forced = targets is not None and bool(torch.rand(()) < teacher_forcing)
        step_input = targets[:, t : t + 1] if forced else y
    if not outputs:
        return h0.new_zeros(batch, 0, decoder.out.out_features)
    return torch.cat(outputs, dim=1)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("teacher_forcing, with_targets",
                         [(0.0, False), (0.0, True), (0.4, True), (1.0, True)])
@pytest.mark.parametrize("n_steps", [0, 1, 2, 9])
def test_decoder_equals_step_by_step_loop(num_layers, teacher_forcing, with_targets, n_steps):
    torch.manual_seed(0)
    decoder = ConditionalGRUDecoder(3, 5, num_layers)
    h0 = torch.randn(num_layers, 4, 5)
    targets = torch.randn(4, n_steps, 3) if with_targets else None
    torch.manual_seed(1)
    expected = _reference_decoder(decoder, h0, n_steps, targets, teacher_forcing)
    after_reference = torch.rand(())
    torch.manual_seed(1)
    out = decoder(h0, n_steps, targets, teacher_forcing)
    assert out.shape == (4, n_steps, 3)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)
    # the same teacher-forcing draws: the global generator ends in the same state
    torch.testing.assert_close(torch.rand(()), after_reference)


def test_decoder_with_teacher_forcing_one_is_a_single_gru_call(monkeypatch):
    torch.manual_seed(0)
    decoder = ConditionalGRUDecoder(3, 5, 2)
    monkeypatch.setattr(decoder, "_feedback", lambda *a: pytest.fail("stepped"))
    out = decoder(torch.randn(2, 4, 5), 6, torch.randn(4, 6, 3), teacher_forcing=1.0)
    assert out.shape == (4, 6, 3)


@pytest.mark.parametrize("params, conv, length", [
    ({}, 6, 1),
    ({"sensor_axes": 3, "kernel_size": 3}, 2, 3),
    ({"sensor_axes": 3}, 2, 3),  # kernel_size=1 across the axes: fused
    ({"znorm_input": True, "kernel_size": 3}, 12, 1),
])
@pytest.mark.parametrize("future_steps", [0, 4])
def test_autoencoder_shapes(params, conv, length, future_steps):
    torch.manual_seed(0)
    ae = MultiTaskRecurrentAutoencoder(6, 10, future_steps, hidden_size=7, embedding_dim=3,
                                       num_layers=2, **params)
    assert (ae.conv_channels, ae.length) == (conv, length)
    x = torch.randn(5, 10, 6)
    z = ae.encode(x)
    rec, fut = ae.decode(z)
    assert z.shape == (5, 3)
    assert rec.shape == (5, 10 - future_steps, 6) and fut.shape == (5, future_steps, 6)
    assert ae.encoder(torch.randn(5, 4, conv, length)).shape == (5, 2 * 7 * length)
    assert torch.isfinite(ae.reconstruction_loss((rec, fut), x))


@pytest.mark.parametrize("params", [{}, {"sensor_axes": 3, "kernel_size": 3},
                                    {"teacher_forcing": 0.5, "loss": "normalized"}])
def test_autoencoder_trains(params):
    X, _ = make_sensor_windows(32, n_timesteps=16, n_channels=6, n_clusters=2, random_state=0)
    X = torch.as_tensor((X - X.mean(axis=(0, 1))) / X.std(axis=(0, 1)), dtype=torch.float32)
    torch.manual_seed(0)
    ae = MultiTaskRecurrentAutoencoder(6, 16, 8, hidden_size=16, embedding_dim=4,
                                       num_layers=2, dropout=0.2, **params)
    opt = torch.optim.Adam(ae.parameters(), lr=1e-2)
    losses = []
    for _ in range(25):
        opt.zero_grad()
        loss = ae.reconstruction_loss(ae(X), X)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert sum(losses[-5:]) / 5 < 0.9 * losses[0]
    assert ae.embed_norm.running_mean.abs().sum() > 0  # the BatchNorm saw the batches


def test_float64_after_training():
    # the estimator runs the trained network in float64
    torch.manual_seed(0)
    ae = MultiTaskRecurrentAutoencoder(3, 8, 3, hidden_size=5, embedding_dim=2).double().eval()
    x = torch.randn(4, 8, 3, dtype=torch.float64)
    z = ae.encode(x)
    rec, fut = ae.decode(z)
    assert z.dtype == rec.dtype == fut.dtype == torch.float64
    ae.encoder.fused = False
    torch.testing.assert_close(ae.encode(x), z, atol=1e-12, rtol=0)
