"""The scale benchmark: `boxoffice bench seed` (a million orders by COPY) and `bench run`."""
