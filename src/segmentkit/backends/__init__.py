"""Other ways to run the same pipeline on data that does not fit in one process."""
