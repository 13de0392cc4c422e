import pytest


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X / 16.0, y
