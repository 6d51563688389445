"""Tests of roi.fitting: each fit against statsmodels and against cases worked by hand."""
