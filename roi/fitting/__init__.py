"""The model-fitting floor of `roi/`: the fits and the pieces every analysis shares.

The feature modules (retention, survival, revenue, comparison, drivers, money, segments, bands, sentiment,
nonresponse) stand on this package side by side and do not borrow helpers from each other.

* `logit` — logistic regression: `fit_logit` (never raises; its engine chosen by `choose_engine`),
  `fit_logit_or_firth` (the retention models: Newton–Raphson maximum likelihood, Firth's penalised
  likelihood under separation, average marginal effects), `newton_logit`, `separates`.
* `firth` — Firth's penalised likelihood (`fit_firth`, `fit_firth_standardised`) with profile
  penalised-likelihood intervals and p-values (`profile_firth`), as logistf computes them.
* `link` — the logistic function `expit`, written once.
* `cox` — Cox proportional hazards with Efron (default) or Breslow ties (`fit_cox`, `fit_breslow`);
  `cox_checks` — the Schoenfeld-residual proportional-hazards test and Harrell's concordance.
* `ordinal` — the likelihood-ratio test of an ordinal metric's level dummies against its linear term.
* `ols` — OLS with HC3 (`fit_ols_hc3`) or cluster-robust (`fit_ols_clustered`) standard errors.
* `calibration` — out-of-fold calibration of predicted churn probabilities (intercept, slope, deciles) and
  the stratified folds of every cross-validation.
* `design` — design matrices, controls, clusters, the joint and headline metrics, JSON-safe numbers and
  intervals.

Each fit is checked against statsmodels and against cases worked by hand in `tests/roi/fitting/`.
"""

from .calibration import Calibration, assess_calibration, stratified_folds
from .cox import CoxFit, fit_breslow, fit_cox
from .cox_checks import HazardCheck, concordance, failing_terms, proportional_hazards_test
from .design import (
    CONTROL_LABELS,
    HEADLINE_MAX_MISSING_SHARE,
    SUMMARY_FAMILIES,
    Z95,
    account_clusters,
    account_codes,
    benjamini_hochberg,
    build_design,
    control_frame,
    finite_or_none,
    headline_metrics,
    interval_or_none,
    joint_metrics,
    percentile_interval,
    resample_counts,
    wald_term,
    with_false_discovery_rate,
)
from .logit import (
    EVENTS_PER_VARIABLE,
    FirthOrMle,
    FirthProfile,
    LogitFit,
    average_marginal_effects,
    choose_engine,
    expit,
    fit_firth,
    fit_firth_standardised,
    fit_logit,
    fit_logit_or_firth,
    newton_logit,
    profile_firth,
    separates,
)
from .ols import ClusteredOls, cluster_quantile, fit_ols_clustered, fit_ols_hc3
from .ordinal import LinearityTest, linearity_test

__all__ = [
    "CONTROL_LABELS", "EVENTS_PER_VARIABLE", "HEADLINE_MAX_MISSING_SHARE", "SUMMARY_FAMILIES", "Z95",
    "account_clusters", "account_codes", "assess_calibration", "average_marginal_effects", "benjamini_hochberg",
    "build_design", "Calibration", "choose_engine", "cluster_quantile", "ClusteredOls", "concordance",
    "control_frame", "CoxFit", "expit", "failing_terms", "finite_or_none", "FirthOrMle", "FirthProfile",
    "fit_breslow", "fit_cox", "fit_firth", "fit_firth_standardised", "fit_logit", "fit_logit_or_firth",
    "fit_ols_clustered", "fit_ols_hc3", "HazardCheck", "headline_metrics", "interval_or_none", "joint_metrics",
    "LinearityTest", "linearity_test", "LogitFit", "newton_logit", "percentile_interval", "profile_firth", "proportional_hazards_test", "resample_counts", "separates",
    "stratified_folds", "wald_term", "with_false_discovery_rate"
]
