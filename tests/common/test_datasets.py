"""Dataset loading, id detection and the synthetic generator, on the real shared files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from modelfleet.cli.synthetic import KEY_COLUMNS, DriftSpec, GamingGenerator
from modelfleet.common.datasets.loading import load_dataset
from modelfleet.common.errors import BadRequestError


def test_gaming_file_keeps_exactly_its_eleven_behavioural_columns(datasets_dir: Path) -> None:
    data = load_dataset(datasets_dir / "online_gaming_behavior.csv", "EngagementLevel")
    assert data.id_columns == ["PlayerID"]
    assert len(data.features.columns) == 11
    assert "EngagementLevel" not in data.features
    assert set(data.categorical_columns) == {"Gender", "Location", "GameGenre", "GameDifficulty"}
    assert data.classes == ["High", "Low", "Medium"]
    assert len(data.digest) == 64


def test_pokemon_names_are_ids_and_missing_values_are_kept(datasets_dir: Path) -> None:
    data = load_dataset(datasets_dir / "pokemon.csv", "is_legendary")
    assert set(data.id_columns) == {"Unnamed: 0", "names"}
    assert data.features["percentage_male"].isna().sum() > 0


def test_explicit_id_and_drop_override_detection(datasets_dir: Path) -> None:
    data = load_dataset(
        datasets_dir / "pokemon.csv",
        "is_legendary",
        id_columns=["names"],
        drop=["Unnamed: 0", "generation"],
    )
    assert data.id_columns == ["names"]
    assert "generation" not in data.features


@pytest.mark.parametrize(
    ("content", "target", "message"),
    [
        ("", "y", "is empty"),
        ("a,b,y\n1,2,x\n3,4,x\n", "y", "single class"),
        ("a,b,y\n1,2,x\n3,4,z\n", "nope", "target column 'nope' not found"),
        (
            "a,y\n" + "".join(f"{i},{'x' if i % 2 else 'z'}\n" for i in range(40)) + "oops,x\n",
            "y",
            "column 'a' is numeric but holds text 'oops' on line 42",
        ),
    ],
)
def test_bad_files_name_the_problem(
    tmp_path: Path, content: str, target: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(BadRequestError, match=message):
        load_dataset(path, target)


def test_generator_is_reproducible_and_matches_the_real_schema(datasets_dir: Path) -> None:
    real = pd.read_csv(datasets_dir / "online_gaming_behavior.csv", nrows=5)
    a = GamingGenerator(seed=7).generate(500)
    b = GamingGenerator(seed=7).generate(500)
    assert list(a.columns) == list(real.columns)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(GamingGenerator(seed=8).generate(500))


def test_model_trained_on_synthetic_data_beats_chance_on_the_real_file(datasets_dir: Path) -> None:
    real = load_dataset(datasets_dir / "online_gaming_behavior.csv", "EngagementLevel")
    synthetic = GamingGenerator(seed=1).generate(20_000)
    x_syn = pd.get_dummies(synthetic.drop(columns=["PlayerID", "EngagementLevel"]))
    x_real = pd.get_dummies(real.features).reindex(columns=x_syn.columns, fill_value=0)
    model = HistGradientBoostingClassifier(random_state=0).fit(x_syn, synthetic["EngagementLevel"])
    accuracy = float((model.predict(x_real) == real.labels.to_numpy()).mean())
    majority = real.labels.value_counts(normalize=True).max()
    assert accuracy > majority + 0.2, (accuracy, majority)


def test_drift_knobs_shift_key_columns_and_days_reuse_the_player_pool() -> None:
    gen = GamingGenerator(seed=3, players=300)
    batches = dict(gen.daily_batches(4, 1000, drift_from_day=2, drift=DriftSpec.key_columns(0.35)))
    for column in KEY_COLUMNS:
        assert batches[3][column].mean() < 0.8 * batches[0][column].mean()
    assert batches[0]["PlayerID"].between(9000, 9299).all()
    assert np.intersect1d(batches[0]["PlayerID"], batches[1]["PlayerID"]).size > 0
