"""Reference PyTorch modules for the caption adapters (placeholder draft, completed below)."""
