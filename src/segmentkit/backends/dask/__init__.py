"""The Dask backend: the same pipeline with Dask collections for input and assignment."""
