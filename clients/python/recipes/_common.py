"""Shared plumbing of the recipes: finding the client, moving arrays between torch and numpy."""

import os
import sys

try:
    import apportion_client  # noqa: F401
except ImportError:  # the recipes sit one directory below the client
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from apportion_client import Client  # noqa: E402

DEFAULT_URL = "http://127.0.0.1:8080"


def client_for(url_or_client=None):
    """A Client from a Client, a URL, or $APPORTION_URL (default http://127.0.0.1:8080)."""
    if isinstance(url_or_client, Client):
        return url_or_client
    return Client(url_or_client or os.environ.get("APPORTION_URL", DEFAULT_URL))


def to_numpy(x):
    """A torch tensor (any device) or array-like as a numpy array."""
    import numpy as np
    if hasattr(x, "detach"):
        x = x.detach()
        if hasattr(x, "float") and str(getattr(x, "dtype", "")).startswith("torch.bfloat"):
            x = x.float()
        return x.cpu().numpy()
    return np.asarray(x)


def like(values, ref):
    """``values`` (numpy) as a float tensor on ``ref``'s device when ``ref`` is a torch tensor
    (in ref's dtype when that is floating point), else as a float32 numpy array."""
    if values is None:
        return None
    if hasattr(ref, "detach"):
        import torch
        dtype = ref.dtype if ref.is_floating_point() else torch.float32
        return torch.as_tensor(values, device=ref.device, dtype=dtype)
    import numpy as np
    return np.asarray(values, dtype=np.float32)
