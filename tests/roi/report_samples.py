"""results.json documents for the report tests, written by hand in the shapes of docs/results.md.

Values are chosen so that the expected printed strings can be worked out by hand in the tests.
"""

from __future__ import annotations

import copy
from typing import Any

COMMENT_MARKUP = "Delivery was late <b>three times</b> <script>alert('x')</script> & nobody called."

WARNING_CODES = ("separation", "leakage", "wrong_sign", "no_effect", "small_sample", "low_match", "collinearity",
                 "nonresponse_bias", "non_convergence")


def _term(name: str, coef: float, se: float, p: float, ratio: str | None = None) -> dict[str, Any]:
    term: dict[str, Any] = {"name": name, "coef": coef, "se": se, "ci": [coef - 1.96 * se, coef + 1.96 * se], "p": p}
    if ratio:
        term[ratio] = 2.718281828 ** coef
        term[f"{ratio}_ci"] = [2.718281828 ** (coef - 1.96 * se), 2.718281828 ** (coef + 1.96 * se)]
    return term


def sample_results() -> dict[str, Any]:
    """A complete analysis with a supported effect."""
    return {
        "schema_version": 1,
        "inputs": {
            "files": {"responses": {"name": "responses.csv", "bytes": 1000, "sha256": "a" * 64},
                      "outcomes": {"name": "outcomes.csv", "bytes": 500, "sha256": "b" * 64}},
            "survey": {"id": "demo_relationship", "title": "How are we doing?", "version": 3},
            "generated_at": "2026-11-22T19:00:00Z",
            "config": {"revenue_period": "year",
                       "finance": {"program_cost": 250000.0, "margin": 0.4, "horizon_years": 1.0}},
        },
        "data_quality": {"responses": 3552, "respondents": 3512, "customers": 5000, "matched": 3400,
                         "match_rate": 0.96811, "unmatched_respondent_ids_sample": ["C-0042"], "churned": 612,
                         "dropped": {"earlier responses by a customer who answered again": 40},
                         "notes": ["40 customers' earlier responses were set aside"]},
        "warnings": [
            {"code": "small_sample", "subject": "q_channel.chat", "message": "Only 41 customers rated chat."},
            {"code": "collinearity", "subject": "joint", "message": "BAS and CSAT overlap (r = 0.92)."},
        ],
        "metrics": [{"name": "bas", "label": "Brand Alignment Score", "family": "bas"},
                    {"name": "ces", "label": "Customer Effort Score", "family": "ces"},
                    {"name": "nps", "label": "Likelihood to recommend (NPS)", "family": "nps"}],
        "metric_comparison": {
            "method": "5-fold cross-validation", "folds": 5, "controls": ["tenure_months"],
            "metrics": [
                {"metric": "nps", "label": "Likelihood to recommend (NPS)", "family": "nps", "rank": 3, "n": 3400,
                 "events": 612, "auc": 0.5612, "auc_ci": [0.5391, 0.5833], "brier": 0.1451,
                 "with_controls": {"n": 3400, "auc": 0.6012, "auc_ci": [0.58, 0.62], "brier": 0.1402}},
                {"metric": "bas", "label": "Brand Alignment Score", "family": "bas", "rank": 1, "n": 3400,
                 "events": 612, "auc": 0.7234, "auc_ci": [0.7012, 0.7456], "brier": 0.1311,
                 "with_controls": {"n": 3400, "auc": 0.7461, "auc_ci": [0.72, 0.77], "brier": 0.1282}},
                {"metric": "ces", "label": "Customer Effort Score", "family": "ces", "rank": 2, "n": 3390,
                 "events": 610, "auc": 0.6345, "auc_ci": [0.6102, 0.6588], "brier": 0.1402,
                 "with_controls": {"n": 3390, "auc": 0.6611, "auc_ci": [0.64, 0.68], "brier": 0.1371}},
            ],
            "warnings": [],
        },
        "retention": {
            "outcome": "churned", "link": "logit", "controls": ["tenure (months)"],
            "models": [
                {"name": "bas", "kind": "single", "method": "mle", "n": 3400, "events": 612,
                 "predictors": ["bas", "tenure_months"],
                 "terms": [_term("const", 0.61, 0.12, 0.0001, "odds_ratio"), _term("bas", -0.0312, 0.0021, 1e-9, "odds_ratio"),
                           _term("tenure_months", -0.0151, 0.003, 2e-6, "odds_ratio")], "notes": []},
                {"name": "nps", "kind": "single", "method": "firth", "n": 3400, "events": 612,
                 "predictors": ["nps", "tenure_months"],
                 "terms": [_term("const", 0.2, 0.1, 0.04, "odds_ratio"), _term("nps", -0.081, 0.02, 0.0123, "odds_ratio"),
                           _term("tenure_months", -0.015, 0.003, 2e-6, "odds_ratio")], "notes": []},
            ],
            "joint": {"name": "joint", "kind": "joint", "method": "mle", "n": 3390, "events": 610,
                      "predictors": ["bas", "ces"],
                      "terms": [_term("const", 0.5, 0.1, 0.001, "odds_ratio"), _term("bas", -0.028, 0.003, 1e-8, "odds_ratio"),
                                _term("ces", -0.05, 0.03, 0.0957, "odds_ratio")], "notes": []},
            "dropped": {},
        },
        "survival": {
            "duration": "tenure_months", "unit": "months", "controls": ["ln(1 + revenue)"],
            "models": [{"name": "bas", "kind": "single", "method": "cox_breslow", "n": 3400, "events": 612,
                        "predictors": ["bas"], "terms": [_term("bas", -0.021, 0.002, 1e-9, "hazard_ratio")],
                        "notes": []}],
            "joint": None,
            "curves": [
                {"band": "BAS 0-49", "times": [6, 12, 18, 24], "survival": [0.9, 0.78, 0.7, 0.62]},
                {"band": "BAS 50-74", "times": [6, 12, 18, 24], "survival": [0.95, 0.88, 0.83, 0.79]},
                {"band": "BAS 75-100", "times": [6, 12, 18, 24], "survival": [0.98, 0.95, 0.93, 0.91]},
            ],
        },
        "revenue": {
            "outcome": "revenue_change", "unit": "currency per year", "controls": ["tenure (months)"],
            "models": [{"name": "bas", "kind": "single", "method": "ols_hc3", "n": 3400, "predictors": ["bas"],
                        "terms": [_term("const", -740.0, 50.0, 1e-9), _term("bas", 14.8, 1.2, 1e-9)], "notes": []}],
            "joint": None,
        },
        "drivers": {
            "churned": {
                "outcome": "churned", "n": 3380, "r2": 0.0811, "r2_ci": [0.07, 0.09], "method": "relative weights",
                "replicates": 200, "excluded": [],
                "drivers": [
                    {"item": "q_align.easy", "label": "We make things easy", "family": "alignment_item",
                     "weight": 0.031, "weight_ci": [0.025, 0.037], "share": 38.2, "share_ci": [31.5, 44.9],
                     "better_helps": True, "signed_weight": 0.031, "performance": 61.3, "quadrant": "keep up"},
                    {"item": "q_align.partner", "label": "We treat you as a partner", "family": "alignment_item",
                     "weight": 0.027, "weight_ci": [0.02, 0.033], "share": 33.3, "share_ci": [26.1, 40.2],
                     "better_helps": True, "signed_weight": 0.027, "performance": 48.7, "quadrant": "fix first"},
                    {"item": "q_friction.billing", "label": "Billing friction", "family": "friction_item",
                     "weight": 0.0231, "weight_ci": [0.015, 0.03], "share": 28.5, "share_ci": [20.0, 36.1],
                     "better_helps": False, "signed_weight": -0.0231, "performance": 70.2,
                     "quadrant": "over-invested"},
                ],
                "warnings": [],
            },
        },
        "scenario": {
            "metric": "bas", "delta": 1.0, "segment": None, "population": "respondents", "extrapolated": False,
            "evidence": "supported", "customers_in_scope": 3400,
            "coefficient": {"estimate": -0.0312, "ci": [-0.0353, -0.0271]},
            "retained_revenue": {"estimate": 1234567.4, "ci": [987654.3, 1498765.6]},
            "benefit": {"estimate": 493826.96, "ci": [395061.7, 599506.2]},
            "roi": {"estimate": 0.9753, "ci": [0.5802, 1.398]},
            "payback_months": {"estimate": 6.0751, "ci": [5.0, 7.59]},
            "lifetime_value": {"estimate": None, "ci": [None, None], "reason": "needs finance.discount_rate"},
            "replicates": 200,
            "assumptions": ["Brand Alignment Score improves by 1 point for every customer in scope.",
                            "The churn model is observational: it shows association."],
            "warnings": [],
        },
        "revenue_at_risk": {
            "total": 3456789.5, "ci": [3123456.7, 3789012.3], "period": "year", "n": 3400, "revenue": 21000000.0,
            "predictors": ["bas", "tenure_months"],
            "by_segment": [
                {"column": "channel", "value": "phone", "n": 1700, "revenue": 11000000.0, "expected_churn": 321.4,
                 "revenue_at_risk": 1900000.4},
                {"column": "channel", "value": "email", "n": 1700, "revenue": 10000000.0, "expected_churn": 290.6,
                 "revenue_at_risk": 1556789.1},
            ],
            "warnings": [],
        },
        "segments": {
            "groupings": ["channel"], "metrics": ["bas"],
            "rows": [
                {"grouping": "channel", "level": "phone", "n": 1700, "churned": 320, "churn_rate": 0.18824,
                 "churn_rate_ci": [0.1704, 0.2074], "revenue": 11000000.0, "revenue_mean": 6470.6,
                 "revenue_at_risk": 2000000.0, "metric_means": {"bas": 58.1}},
                {"grouping": "channel", "level": "email", "n": 1700, "churned": 292, "churn_rate": 0.17176,
                 "churn_rate_ci": [0.1545, 0.1905], "revenue": 10000000.0, "revenue_mean": 5882.4,
                 "revenue_at_risk": 1700000.0, "metric_means": {"bas": 61.0}},
            ],
            "warnings": [],
        },
        "nonresponse": {
            "applicable": True, "response_rate": 0.68,
            "comparisons": [{"variable": "tenure_months", "kind": "mean", "respondents": 31.2, "non_respondents": 27.9,
                             "n_respondents": 3400, "n_non_respondents": 1600, "difference": 3.3, "ci": [2.1, 4.5],
                             "standardised_difference": 0.15, "test": "welch", "p": 0.0001, "p_holm": 0.0002}],
            "weight_model": ["tenure_months"], "weights": None, "warnings": [],
        },
        "sentiment": {"n": 812, "positive": 0.41, "neutral": 0.3, "negative": 0.29, "mean": 0.08,
                      "thresholds": [-0.05, 0.05], "warnings": [],
                      "sample": [{"question": "q_why", "text": COMMENT_MARKUP, "compound": -0.42},
                                 {"question": "q_why", "text": "Support fixed my problem on the first call.",
                                  "compound": 0.3}]},
    }


def degenerate_results() -> dict[str, Any]:
    """Tiny sample, no effect, every warning code firing, optional parts missing or null."""
    results = sample_results()
    results["data_quality"] = {"responses": 12, "respondents": 12, "customers": 40, "matched": 3, "match_rate": 0.25}
    results["warnings"] = [{"code": code, "subject": "bas", "message": f"The {code} check fired."}
                           for code in WARNING_CODES]
    results["scenario"] = {
        "metric": "bas", "delta": 1.0, "segment": None, "population": "respondents", "extrapolated": False,
        "evidence": "none", "customers_in_scope": 0,
        "coefficient": {"estimate": 0.01, "ci": [-0.2, 0.22]},
        "retained_revenue": {"estimate": None, "ci": [None, None], "reason": "no evidence that the metric affects churn"},
        "benefit": {"estimate": None, "ci": [None, None]}, "roi": {"estimate": None, "ci": [None, None]},
        "payback_months": {"estimate": None, "ci": [None, None]},
        "lifetime_value": {"estimate": None, "ci": [None, None]}, "replicates": 0, "assumptions": [], "warnings": [],
    }
    results["metric_comparison"] = {"method": "not computable", "metrics": [
        {"metric": "bas", "label": "Brand Alignment Score", "rank": None, "n": 3, "events": 1, "auc": None,
         "auc_ci": [None, None], "brier": None, "with_controls": {}}]}
    results["retention"] = {"outcome": "churned", "models": [
        {"name": "bas", "kind": "single", "method": "not_estimated", "n": 3, "events": 1,
         "terms": [{"name": "bas", "coef": None, "se": None, "ci": [None, None], "p": None, "odds_ratio": None,
                    "odds_ratio_ci": [None, None]}], "notes": ["too few customers"]}], "joint": None}
    for key in ("survival", "revenue", "drivers", "revenue_at_risk", "segments", "nonresponse", "sentiment"):
        results[key] = None
    return results


def minimal_results() -> dict[str, Any]:
    """Only the keys read_results requires."""
    return {"inputs": {}, "data_quality": {}, "warnings": [], "retention": {}}


def with_changes(results: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(results)
    out.update(changes)
    return out
