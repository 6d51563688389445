"""cxroi roi: relate survey answers to retention and revenue (statsmodels), and report it to finance.

Plain Python over pandas DataFrames; imports `surveys`, never the web or storage layers.
"""
