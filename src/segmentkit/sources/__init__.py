"""Reading customer tables: encodings, dialects, header repair, CSV, Parquet and Excel."""
