"""Which of your questions predicts retention best (ranking.py): cross-validated churn logits (fitted by
`roi.fitting.fit_logit`) scored by the rank AUC with its DeLong interval (auc.py)."""

from .auc import delong_auc_ci, rank_auc, stratified_folds
from .ranking import MetricComparison, MetricScore, compare_metrics

__all__ = ["MetricComparison", "MetricScore", "compare_metrics", "delong_auc_ci", "rank_auc", "stratified_folds"]
