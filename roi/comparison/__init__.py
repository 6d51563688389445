"""Which of your questions predicts retention best (ranking.py), on the shared pieces: churn logits that
never raise (logit.py) and the rank AUC with its DeLong interval (auc.py)."""

from .auc import delong_auc_ci, rank_auc, stratified_folds
from .logit import (
    EVENTS_PER_VARIABLE,
    LogitFit,
    account_clusters,
    build_design,
    expit,
    finite_or_none,
    fit_logit,
    interval_or_none,
    separates,
)
from .ranking import MetricComparison, MetricScore, compare_metrics

__all__ = [
    "EVENTS_PER_VARIABLE", "LogitFit", "MetricComparison", "MetricScore", "account_clusters", "build_design",
    "compare_metrics", "delong_auc_ci", "expit", "finite_or_none", "fit_logit", "interval_or_none", "rank_auc",
    "separates", "stratified_folds",
]
