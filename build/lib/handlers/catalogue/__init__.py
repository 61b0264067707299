"""The message catalogue, one module per feature; `handlers.texts` merges them into one dictionary."""
