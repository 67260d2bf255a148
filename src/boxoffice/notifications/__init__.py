"""Customer email: the per-order message log, and the task that renders and sends it."""
