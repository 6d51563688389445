"""Loading the user's inputs at the edge: tables (CSV/XLSX/Parquet), outcomes, responses and their candidate
metrics. `roi.data.build_analysis_data` joins them into one checked `AnalysisData`."""
