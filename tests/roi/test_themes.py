"""Open-text themes (issue 17) against planted truth: discovery recovers the planted themes, the analysis ranks
the churn-driving theme first with an interval excluding no effect, a null theme shows no effect; the codebook
round-trips and its edits code as they say; recoding is deterministic; other languages get no sentiment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from roi.config import RoiConfig
from roi.data import build_analysis_data
from roi.themes.codebook import (
    InvalidCodebook,
    add_theme,
    delete_theme,
    merge_themes,
    parse_codebook,
    rename_theme,
    set_rules,
    split_theme,
    to_yaml,
)
from roi.themes.coding import code_comments, theme_column
from roi.themes.discovery import TooFewComments, discover_themes, dominant_labels
from roi.themes.pipeline import analyse_themes
from roi.themes.planted import BASE_CHURN, CHURN_THEME, NULL_THEME, THEME_CHURN, VOCABULARY, planted_comments


def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells, as the readers give them (missing stays None)."""
    return frame.astype(object).where(frame.notna(), None).map(lambda v: v if v is None else str(v))


@pytest.fixture(scope="module")
def planted():
    return planted_comments(3000, seed=3)


@pytest.fixture(scope="module")
def discovered(planted):
    texts = planted.responses["q_comment"]
    written = texts.notna().to_numpy()
    return discover_themes(list(texts[written]), themes=len(VOCABULARY), seed=0), planted.truth[written]


def _planted_match(discovery, truth: pd.Series) -> dict[str, str]:
    """Planted theme → the discovered theme most of its comments fall in."""
    labels = dominant_labels(discovery.coded)
    table = pd.crosstab(truth.to_numpy(), labels.to_numpy())
    return {planted: str(table.loc[planted].idxmax()) for planted in table.index}


def test_discovery_recovers_the_planted_themes(discovered) -> None:
    discovery, truth = discovered
    labels = dominant_labels(discovery.coded)
    assert adjusted_rand_score(truth.to_numpy(), labels.to_numpy()) >= 0.7
    match = _planted_match(discovery, truth)
    assert len(set(match.values())) == len(VOCABULARY)  # each planted theme has a theme of its own
    courier = discovery.codebook.theme(match["courier"])
    assert {"courier", "parcel", "note"} & set(courier.top_words[:5])


def test_the_same_seed_finds_the_same_codebook(planted, discovered) -> None:
    texts = planted.responses["q_comment"].dropna().tolist()
    again = discover_themes(texts, themes=len(VOCABULARY), seed=0)
    assert to_yaml(again.codebook) == to_yaml(discovered[0].codebook)


def test_codebook_round_trips_through_yaml(discovered) -> None:
    codebook = discovered[0].codebook
    edited = add_theme(rename_theme(codebook, codebook.themes[0].id, "Reaching a person – “quoted” & <b>"),
                       "Thanks", keywords=["thank you", "merci"])
    text = to_yaml(edited)
    assert parse_codebook(text) == edited
    assert to_yaml(parse_codebook(text)) == text


def test_recoding_with_a_saved_codebook_is_deterministic(planted, discovered) -> None:
    codebook = parse_codebook(to_yaml(discovered[0].codebook))
    texts = planted.responses["q_comment"].dropna().tolist()
    first = code_comments(codebook, texts)
    second = code_comments(parse_codebook(to_yaml(codebook)), list(reversed(texts)))
    assert np.array_equal(first.indicators, second.indicators[::-1])
    assert np.array_equal(first.shares, second.shares[::-1])
    # and the discovered coding is what the saved codebook gives
    assert np.array_equal(first.indicators, discovered[0].coded.indicators)


def test_edits_code_as_they_say(discovered) -> None:
    codebook = discovered[0].codebook
    a, b = codebook.themes[0].id, codebook.themes[1].id
    texts = ["Nobody answered the phone, a bot transferred me and the courier left no note", "Great, thank you"]
    before = code_comments(codebook, texts)
    merged = merge_themes(codebook, [a, b], name="Merged")
    assert [t.id for t in merged.themes] == [a, *(t.id for t in codebook.themes[2:])]
    assert merged.version == codebook.version + 1
    after = code_comments(merged, texts)
    union = before.indicators[:, 0] | before.indicators[:, 1]
    assert np.array_equal(after.indicators[:, 0], union)

    thanks = add_theme(codebook, "Thanks", keywords=["thank you"])
    coded = code_comments(thanks, texts)
    assert coded.indicators[:, -1].tolist() == [0, 1]

    ruled = set_rules(codebook, a, keywords=["great"], exclude=["courier"])
    coded = code_comments(ruled, texts)
    assert coded.indicators[:, 0].tolist() == [0, 1]  # excluded by 'courier'; added by 'great'

    split = split_theme(codebook, a, keywords=["nobody answered"], name="Nobody answers")
    coded = code_comments(split, ["Nobody answered at all", "NOBODY ANSWERED, then a bot"])
    assert coded.indicators[:, 1].tolist() == [1, 1] and coded.indicators[:, 0].tolist() == [0, 0]

    removed = delete_theme(codebook, a)
    assert a not in [t.id for t in removed.themes] and len(removed.weights) == len(codebook.weights)
    with pytest.raises(InvalidCodebook, match="no theme 'nope'"):
        delete_theme(codebook, "nope")
    with pytest.raises(InvalidCodebook, match="at least two"):
        merge_themes(codebook, [a, a], name="x")


def test_a_broken_codebook_names_the_place(discovered) -> None:
    data = parse_codebook(to_yaml(discovered[0].codebook)).model_dump(mode="json")
    data["themes"][1]["components"] = [99]
    with pytest.raises(InvalidCodebook, match=r"book.yaml: .*themes\[1\].components: component 99 does not exist"):
        parse_codebook(to_yaml_data(data), source="book.yaml")
    with pytest.raises(InvalidCodebook, match=r"book.yaml: not valid YAML \(line 1"):
        parse_codebook("themes: [", source="book.yaml")
    data = parse_codebook(to_yaml(discovered[0].codebook)).model_dump(mode="json")
    data["themes"][0]["colour"] = "red"
    with pytest.raises(InvalidCodebook, match=r"themes\[0\].colour: unknown field"):
        parse_codebook(to_yaml_data(data), source="book.yaml")


def to_yaml_data(data: dict) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False)


def test_other_languages_get_no_fake_sentiment(discovered) -> None:
    codebook = discovered[0].codebook
    texts = [
        "Personne ne répond au téléphone, c'est vraiment décevant et je vais partir.",
        "Der Kurier hat keine Nachricht hinterlassen und niemand ruft zurück.",
        "Nadie contesta el teléfono y la factura llegó mal otra vez.",
        "The agent was wonderful and solved everything, thank you!",
        "",
    ]
    coded = code_comments(codebook, texts)
    assert coded.language == ("fr", "de", "es", "en", None)
    assert coded.sentiment_status == ("not_available", "not_available", "not_available", "scored", "blank")
    assert np.isnan(coded.sentiment[[0, 1, 2, 4]]).all()
    assert coded.sentiment[3] > 0.5  # VADER: wonderful, solved, thank
    # the language the response was answered in wins over detection
    known = code_comments(codebook, ["The parcel never came", "Très bien"], languages=["fr", None])
    assert known.language == ("fr", "fr") and known.sentiment_status == ("not_available", "not_available")


def test_too_few_comments_say_so() -> None:
    with pytest.raises(TooFewComments):
        discover_themes(["", None, "  "])


@pytest.fixture(scope="module")
def impact(planted):
    data = build_analysis_data(_as_read(planted.responses), _as_read(planted.outcomes), config=RoiConfig())
    return analyse_themes(data, seed=1, replicates=100, themes=len(VOCABULARY)), data


def test_the_churn_driving_theme_ranks_first_and_a_null_theme_shows_no_effect(impact, planted, discovered) -> None:
    result, _ = impact
    out = result.to_dict()
    by_id = {t["id"]: t for t in out["themes"]}
    words = {t["id"]: set(t.get("examples", [""])[0].lower().strip(".").split()) for t in out["themes"]}
    # which discovered theme is which planted one: the planted vocabulary its examples use most
    def planted_of(theme_id: str) -> str:
        return max(VOCABULARY, key=lambda name: len(words[theme_id] & set(VOCABULARY[name])))

    first = out["ranking"][0]
    assert planted_of(first) == CHURN_THEME
    driver = by_id[first]
    assert driver["retention"]["ratio_ci"][0] > 1  # the interval excludes no effect
    assert driver["revenue_at_risk"]["excess_ci"][0] > 0
    # planted: 40% vs 15% (others include a few misclassified); the observed rates' intervals cover them
    low, high = driver["churn"]["mentioned"]["ci"]
    assert low <= THEME_CHURN <= high
    null = next(t for t in out["themes"] if planted_of(t["id"]) == NULL_THEME)
    low, high = null["retention"]["ratio_ci"]
    assert low < 1 < high
    assert any(w["code"] == "no_effect" and w["subject"] == theme_column(null["id"]) for w in out["warnings"])
    assert not any(w["code"] == "no_effect" and w["subject"] == theme_column(first) for w in out["warnings"])
    assert abs(null["churn"]["mentioned"]["rate"] - BASE_CHURN) < 0.06


def test_rare_themes_are_listed_not_modelled(impact, discovered) -> None:
    _, data = impact
    codebook = add_theme(discovered[0].codebook, "Rare", keywords=["zzzrareword"])
    frame = data.frame.copy()
    frame.loc[frame.index[:5], "q_comment"] = "zzzrareword"
    from dataclasses import replace

    result = analyse_themes(replace(data, frame=frame), seed=1, replicates=0, codebook=codebook).to_dict()
    rare = result["themes"][-1]
    assert rare["customers"] == 5 and rare["modelled"] is False
    assert rare["reason"] == "mentioned by 5 customers, fewer than 30"
    assert rare["retention"] is None and "theme.rare" not in result["retention_model"]["predictors"]
    assert result["codebook"]["source"] == "given"


def test_report_section_ranks_themes_by_revenue_at_risk_and_escapes_names(impact, discovered) -> None:
    from roi.report import build_report, render_html
    from roi.report.content import Bullets, Table
    from roi.report.themes import TITLE

    _, data = impact
    discovery, truth = discovered
    driver_id = _planted_match(discovery, truth)[CHURN_THEME]
    renamed = rename_theme(discovery.codebook, driver_id, "<b>Reaching</b> a person")
    out = analyse_themes(data, seed=1, replicates=50, codebook=renamed).to_dict()
    assert out["ranking"][0] == driver_id
    results = {"inputs": {}, "data_quality": {}, "warnings": [], "retention": {}, "themes": out}
    section = next(s for s in build_report(results).sections if s.title == TITLE)
    bullets = next(b for b in section.blocks if isinstance(b, Bullets))
    driver = next(t for t in out["themes"] if t["id"] == driver_id)
    rate = driver["churn"]["mentioned"]["rate"]
    assert bullets.items[0].startswith(f"Customers who mention “<b>Reaching</b> a person” ({driver['customers']:,}) "
                                       f"churn at {rate * 100:.1f}%")
    table = next(b for b in section.blocks if isinstance(b, Table) and len(b.header) > 2)
    assert [row[0] for row in table.rows] == [next(t["name"] for t in out["themes"] if t["id"] == i)
                                              for i in out["ranking"]]
    html = render_html(results)
    assert "&lt;b&gt;Reaching&lt;/b&gt; a person" in html and "<b>Reaching</b>" not in html


def test_discovery_on_a_sample_of_many_comments_is_seeded_and_still_recovers_them(planted, monkeypatch) -> None:
    import roi.themes.discovery as discovery

    monkeypatch.setattr(discovery, "MAX_FIT_COMMENTS", 800)  # the 2,100 comments are "many"
    texts = planted.responses["q_comment"]
    written = texts.notna().to_numpy()
    first = discover_themes(list(texts[written]), themes=len(VOCABULARY), seed=4)
    again = discover_themes(list(texts[written]), themes=len(VOCABULARY), seed=4)
    assert to_yaml(first.codebook) == to_yaml(again.codebook)
    labels = dominant_labels(first.coded)
    assert adjusted_rand_score(planted.truth[written].to_numpy(), labels.to_numpy()) >= 0.7
    assert first.codebook.method.comments == int(written.sum())


def test_the_analysis_sentiment_leaves_out_other_languages() -> None:
    from roi.analysis import score_text_answers

    frame = pd.DataFrame({"q_comment": ["Terrible service, nobody helped. Awful.",
                                        "Service épouvantable, personne ne m'a aidé, c'est nul.", None]})
    data = type("Data", (), {"frame": frame, "text_columns": ("q_comment",)})()
    scores = score_text_answers(data)  # type: ignore[arg-type]
    assert scores[0, 0] < -0.05 and np.isnan(scores[1, 0]) and np.isnan(scores[2, 0])


def test_ranking_is_by_excess_revenue_at_risk_with_unknown_amounts_last() -> None:
    from roi.themes.impact import ThemeImpact

    def theme(theme_id: str, excess: float | None, difference: float | None, modelled: bool = True) -> dict:
        return {"id": theme_id, "modelled": modelled, "revenue_at_risk": {"excess": excess},
                "churn": {"difference": difference}}

    rows = (theme("zero", 0.0, 0.1), theme("loss", -5.0, 0.2), theme("unknown", None, 0.3), theme("top", 10.0, 0.0),
            theme("rare", 99.0, 0.5, modelled=False), theme("unknown_bigger", None, 0.4))
    ranked = ThemeImpact(1, 1, {}, rows, None, None, (), "year").ranking()
    assert ranked == ["top", "zero", "loss", "unknown_bigger", "unknown"]


def test_a_theme_every_mentioner_of_which_left_gets_the_separation_warning(impact, discovered) -> None:
    from dataclasses import replace

    _, data = impact
    codebook = add_theme(discovered[0].codebook, "Cancelled", keywords=["zzzcancelled"])
    frame = data.frame.copy()
    leavers = frame.index[frame["churned"].astype(int) == 1][:40]
    frame.loc[leavers, "q_comment"] = "zzzcancelled"
    out = analyse_themes(replace(data, frame=frame), seed=1, replicates=0, codebook=codebook).to_dict()
    cancelled = out["themes"][-1]
    assert cancelled["customers"] == 40 and cancelled["churn"]["mentioned"]["rate"] == 1.0
    assert out["retention_model"]["method"] == "firth"  # the joint model is refitted by Firth's method
    assert any(w["code"] == "separation" and w["subject"] == "themes" for w in out["warnings"])


def test_the_churn_driving_theme_is_the_first_driver_of_churn(impact, discovered) -> None:
    _, data = impact
    discovery, truth = discovered
    driver_id = _planted_match(discovery, truth)[CHURN_THEME]
    out = analyse_themes(data, seed=1, replicates=50, codebook=discovery.codebook).to_dict()
    churn_drivers = out["drivers"]["churned"]["drivers"]
    assert churn_drivers[0]["item"] == theme_column(driver_id)
    assert churn_drivers[0]["weight_ci"][0] > 0 and churn_drivers[0]["better_helps"] is True
