"""Altered copies of the bundled model through every entry point: load (in a child process under memory and
time limits), the model library's scan (one bad model never hides the others), adding to the library (only
loadable models are copied), the model panel (card text is escaped) and CLI predict (exit 2, one line)."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import pytest
import torch
from PySide6.QtCore import QSettings

from ecgstudio.inference.panel import card_html
from ecgstudio.models.library import ModelLibrary
from ecgstudio.paths import resources_dir
from tests.hostile import assert_cli_predict_refuses, assert_refused_in_words_or_read, read_in_child
from training.checkpoint import ModelFileError, load_card, load_model, model_paths, weights_path, write_model_files
from training.checkpoint import tensors_to_bytes

BUNDLED = resources_dir() / "models" / "ptbxl_superclass_resnet1d18"
EXPECTED: dict[str, str | None] = {}
#: refused only where torch is loaded (loading, adding), not by the torch-free scan at start-up: the
#: parameter count needs the architecture built (on the ``meta`` device)
NEEDS_TORCH = {"enormous_model"}
BUILDERS = {}


def attack(name: str, expected: str | None):
    def register(build):
        EXPECTED[name], BUILDERS[name] = expected, build
        return build
    return register


def _card_dict() -> dict:
    return json.loads(model_paths(BUNDLED)[1].read_text())


def _weights() -> bytes:
    return model_paths(BUNDLED)[0].read_bytes()


def _write(folder: Path, name: str, card: dict, weights: bytes | None = None) -> Path:
    """A model whose card is ``card`` verbatim (its weights_file pointing at an untouched copy of the weights)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.safetensors").write_bytes(_weights() if weights is None else weights)
    (folder / f"{name}.json").write_text(json.dumps(card))
    return folder / f"{name}.json"


def _card_attack(name: str, expected: str, edit):
    def build(folder: Path) -> Path:
        card = _card_dict()
        edit(card)
        return _write(folder, name, card)
    attack(name, expected)(build)


_card_attack("wrong_format", "not an ECG Studio model card", lambda c: c.update(format="pickle/1"))
_card_attack("no_classes", "label_set.classes", lambda c: c["label_set"].pop("classes"))
_card_attack("label_set_string", "label_set", lambda c: c.update(label_set="ptbxl-superclass"))
_card_attack("fs_zero", "fs: Input should be greater than 0", lambda c: c.update(fs=0))
_card_attack("fs_string", "fs:", lambda c: c.update(fs="100"))
_card_attack("zero_input", "input_length", lambda c: c.update(input_length=0))
_card_attack("unknown_option", "resnet1d18 has no option 'colour'", lambda c: c["model_options"].update(colour=3))
_card_attack("unknown_architecture", "unknown architecture 'resnet9000'", lambda c: c.update(architecture="resnet9000"))
_card_attack("short_thresholds", "thresholds: 3 thresholds for 5 classes", lambda c: c.update(thresholds=[0.5] * 3))
_card_attack("option_string", "model_options.width: '32' is not a whole number",
             lambda c: c["model_options"].update(width="32"))
_card_attack("option_negative", "model_options.width: -4 is outside 0..8192",
             lambda c: c["model_options"].update(width=-4))
_card_attack("fewer_classes", "weights do not fit",
             lambda c: (c["label_set"].update(classes=c["label_set"]["classes"][:4],
                                              display=c["label_set"]["display"][:4]),
                        c.update(thresholds=c["thresholds"][:4])))
_card_attack("enormous_model", "parameters; at most 100,000,000", lambda c: c["model_options"].update(width=8000))
_card_attack("weights_elsewhere", "weights_file", lambda c: c.update(weights_file="../../etc/passwd"))
_card_attack("bad_step", "preprocessing.steps[1]", lambda c: c["preprocessing"]["steps"][1].update(step="explode"))
_card_attack("many_problems", "fs: Input should be greater than 0; input_length",
             lambda c: c.update(fs=-1, input_length=-5, thresholds="high"))
_card_attack("calibration_typed", "calibration.classes.NORM.method",
             lambda c: c.update(calibration={"fitted_on": "val", "classes": {"NORM": {"parameters": {"a": 1.0}}}}))
_card_attack("bad_interval", "interval low 0.9 is above high 0.1",
             lambda c: c["metrics"].update(ci={"auroc_macro": {"value": 0.5, "low": 0.9, "high": 0.1}}))


@attack("deep_json", "nests deeper than 32 levels")
def _deep(folder: Path) -> Path:
    path = _write(folder, "deep_json", _card_dict())
    path.write_text(path.read_text()[:-1] + ', "metrics": ' + "[" * 200_000 + "]" * 200_000 + "}")
    return path


@attack("card_dev_zero", "device file")
def _card_dev_zero(folder: Path) -> Path:
    path = _write(folder, "card_dev_zero", _card_dict())
    path.unlink()
    path.symlink_to("/dev/zero")
    return path


@attack("card_fifo", "pipe (FIFO)")
def _card_fifo(folder: Path) -> Path:
    path = _write(folder, "card_fifo", _card_dict())
    path.unlink()
    os.mkfifo(path)
    return path


def _weights_attack(name: str, expected: str, weights):
    def build(folder: Path) -> Path:
        path = _write(folder, name, _card_dict())
        blob = model_paths(path)[0]
        blob.unlink()
        weights(blob)
        return path
    attack(name, expected)(build)


_weights_attack("weights_pickle", "is a Python pickle", lambda p: p.write_bytes(pickle.dumps({"w": 1})))
_weights_attack("weights_truncated", "not a safetensors file", lambda p: p.write_bytes(_weights()[:2000]))
_weights_attack("weights_corrupted", "SHA-256", lambda p: p.write_bytes(_weights()[:-100] + bytes(100)))
_weights_attack("weights_dev_zero", "device file", lambda p: p.symlink_to("/dev/zero"))
_weights_attack("weights_fifo", "pipe (FIFO)", lambda p: os.mkfifo(p))


@attack("weights_nan", "non-finite values")
def _nan(folder: Path) -> Path:
    model, card = load_model(BUNDLED)
    state = model.state_dict()
    state["classifier.weight"] = torch.full_like(state["classifier.weight"], float("nan"))
    return write_model_files(folder / "weights_nan.json", tensors_to_bytes(state), card)[1]


@attack("weights_other_shape", "do not fit architecture 'resnet1d18'")
def _other_shape(folder: Path) -> Path:
    model, card = load_model(BUNDLED)
    state = {k: v for k, v in model.state_dict().items() if not k.startswith("classifier")}
    return write_model_files(folder / "weights_other_shape.json", tensors_to_bytes(state), card)[1]


@attack("weights_header_lies", "tensor 'classifier.bias' of shape [6] in F32 cannot take bytes")
def _header_lies(folder: Path) -> Path:
    """A safetensors header declaring one more class than its bytes hold (hash recorded, so only the header lies)."""
    data = bytearray(_weights())
    header_len = int.from_bytes(data[:8], "little")
    header = data[8:8 + header_len].decode()
    assert '"classifier.bias":{"dtype":"F32","shape":[5]' in header
    data[8:8 + header_len] = header.replace('"classifier.bias":{"dtype":"F32","shape":[5]',
                                            '"classifier.bias":{"dtype":"F32","shape":[6]').encode()
    card = _card_dict()
    card["weights_sha256"] = hashlib.sha256(bytes(data)).hexdigest()
    return _write(folder, "weights_header_lies", card, bytes(data))


@attack("html_display", None)
def _html(folder: Path) -> Path:
    card = _card_dict()
    card["label_set"]["display"][0] = "<img src='file:///etc/passwd'><table><tr><td>x</td></tr></table>"
    card["data"]["name"] = "<b>bold</b>"
    return _write(folder, "html_display", card)


@attack("optional_sections", None)
def _sections(folder: Path) -> Path:
    card = _card_dict()
    card["calibration"] = {"fitted_on": "val", "classes": {"NORM": {"method": "platt", "parameters": {"a": 1.2, "b": -0.1}}}}
    card["environment"] = {"torch_threads": 1, "libraries": {"torch": "2.13.0"}, "hardware": {"cpu": "x86_64", "cores": 2}}
    card["metrics"]["ci"] = {"auroc_macro": {"value": 0.9, "low": 0.85, "high": 0.93, "level": 0.95}}
    return _write(folder, "optional_sections", card)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("zoo")
    for build in BUILDERS.values():
        build(folder)
    return folder


@pytest.fixture(scope="module")
def loaded(zoo) -> dict[str, dict]:
    paths = [str(zoo / f"{name}.json") for name in BUILDERS]
    return dict(zip(BUILDERS, read_in_child("model", paths)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_altered_model_is_refused_in_one_message_or_loads(loaded, name):
    assert_refused_in_words_or_read(loaded[name], EXPECTED[name], "ModelFileError", name)


@pytest.fixture
def library(zoo, tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    settings.setValue("models/user_dir", str(zoo))
    return ModelLibrary(settings)


def test_library_lists_every_bad_model_as_a_problem_and_the_rest_stay_usable(library, zoo):
    names = {e.name for e in library.models()}
    assert names == {"ptbxl_superclass_resnet1d18", "html_display", "optional_sections", *NEEDS_TORCH}
    refused = {Path(p).stem for p in library.problems}
    assert refused == {name for name, expected in EXPECTED.items() if expected} - NEEDS_TORCH
    assert "pickle" in library.problems[zoo / "weights_pickle.json"]
    # what the torch-free scan now finds, that used to wait for the first run (option schema, header, shapes)
    assert "resnet1d18 has no option 'colour'" in library.problems[zoo / "unknown_option.json"]
    assert "'classifier.weight' has shape [5, 256], which does not fit the card's 4 classes" in \
        library.problems[zoo / "fewer_classes.json"]
    assert "lack 'classifier.weight'" in library.problems[zoo / "weights_other_shape.json"]
    assert "cannot take bytes" in library.problems[zoo / "weights_header_lies.json"]


def test_adding_an_unloadable_model_copies_nothing(zoo, tmp_path, qtbot):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    settings.setValue("models/user_dir", str(tmp_path / "user"))
    library = ModelLibrary(settings)
    for name in ("weights_nan", "weights_corrupted", "enormous_model", "unknown_option", "weights_other_shape",
                 "card_fifo"):
        with pytest.raises(ModelFileError):
            library.add(zoo / f"{name}.json")
    assert not (tmp_path / "user").exists() or not any((tmp_path / "user").iterdir())
    entry = library.add(zoo / "optional_sections.json")
    card_path = entry.path.with_suffix(".json")
    assert load_model(entry.path)[1].classes == load_card(BUNDLED).classes
    assert weights_path(load_card(card_path), card_path).is_file()


def test_card_text_is_escaped_in_the_model_panel(library):
    entry = next(e for e in library.models() if e.name == "html_display")
    html = card_html(entry)
    assert "<img" not in html and "<b>bold" not in html and "&lt;img src=" in html and "&lt;table&gt;" in html


def test_model_panel_shows_the_problems(library, qtbot):
    from ecgstudio.inference.panel import InferencePanel
    panel = InferencePanel()
    qtbot.addWidget(panel)
    panel.set_problems(library.problems)
    assert panel.problems.text().startswith(f"{len(library.problems)} model file(s) cannot be used")
    assert "weights_nan.json: " in panel.problems.text()


def test_cli_predict_with_nan_weights_exits_2_with_one_line(zoo, shared_data):
    assert_cli_predict_refuses(zoo / "weights_nan.json", shared_data / "ptbxl/records100/00000/00001_lr.hea",
                               "non-finite")


def test_the_declared_architecture_table_matches_the_registry():
    """The torch-free scan checks cards against training.architectures; it must say what the registry builds."""
    import inspect

    from training.architectures import ARCHITECTURES
    from training.models.registry import MODELS, model_names

    assert sorted(ARCHITECTURES) == model_names(task=None)
    for name, declared in ARCHITECTURES.items():
        parameters = inspect.signature(MODELS[name]).parameters
        options = {p: v.annotation for p, v in parameters.items() if p not in ("n_leads", "n_classes", "self")}
        assert options == {k: t.__name__ for k, t in declared.options.items()}, name
        with torch.device("meta"):
            state = MODELS[name](n_leads=7, n_classes=3).state_dict()
        assert state[declared.input_tensor].shape[1] == 7 and state[declared.output_tensor].shape[0] == 3, name


def test_a_model_folder_that_cannot_be_opened_is_a_problem_not_a_crash(tmp_path, qtbot):
    """The bundle's smoke as another user stopped the window here: stat() on a folder it could not open
    raised PermissionError out of the library's constructor. Any OSError of the folder is now a problem.
    (As root no permission refuses, so the same stat() error comes from a name the file system refuses.)"""
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    unopenable = tmp_path / ("x" * 300)  # ENAMETOOLONG from stat(), which pathlib does not swallow
    settings.setValue("models/user_dir", str(unopenable))
    library = ModelLibrary(settings)
    assert "ptbxl_superclass_resnet1d18" in {e.name for e in library.models()}  # the bundled model stays
    assert "the model folder cannot be read: File name too long" == library.problems[unopenable]
