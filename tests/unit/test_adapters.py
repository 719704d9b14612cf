"""Team adapters with fakes: the registry, fit checks, the CLI (list/show/use, ask --adapter), style checks and
the converter's tensor layout. No real model is loaded (tiny GGUF files stand in for model and adapters)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import FakeEmbedder, FakeGenerator

from archivist.adapters.convert import gguf_tensors, rotary_rows
from archivist.adapters.registry import AdapterInfo, Choice, Registry, load_choice, save_choice
from archivist.adapters.style import StyleChecks, mean_score
from archivist.cli import cli
from archivist.errors import AdapterError

WIDTH, KV = 8, 4  # a toy llama: 8-wide, k/v 4-wide, one layer


def write_gguf(path: Path, arch: str, tensors: dict[str, tuple[int, ...]], *, adapter: bool) -> Path:
    """A tiny GGUF with zero tensors of the given numpy shapes (rows x columns)."""
    import gguf

    writer = gguf.GGUFWriter(str(path), arch)
    if adapter:
        writer.add_type("adapter")
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", 16.0)
    else:
        writer.add_uint32(f"{arch}.block_count", 1)
        writer.add_uint32(f"{arch}.embedding_length", WIDTH)
        writer.add_uint32(f"{arch}.attention.head_count", 2)
        writer.add_uint32(f"{arch}.attention.head_count_kv", 1)
    for name, shape in tensors.items():
        writer.add_tensor(name, np.zeros(shape, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def base_model(folder: Path, arch: str = "llama") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_gguf(folder / f"toy-{arch}.gguf", arch, {
        "blk.0.attn_q.weight": (WIDTH, WIDTH), "blk.0.attn_k.weight": (KV, WIDTH),
        "blk.0.attn_v.weight": (KV, WIDTH), "blk.0.attn_output.weight": (WIDTH, WIDTH)}, adapter=False)


def adapter_file(folder: Path, name: str, *, arch: str = "llama", out_q: int = WIDTH, rank: int = 2,
                 description: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = write_gguf(folder / f"{name}.gguf", arch, {
        "blk.0.attn_q.weight.lora_a": (rank, WIDTH), "blk.0.attn_q.weight.lora_b": (out_q, rank),
        "blk.0.attn_v.weight.lora_a": (rank, WIDTH), "blk.0.attn_v.weight.lora_b": (KV, rank)}, adapter=True)
    (folder / f"{name}.json").write_text(json.dumps({
        "name": name, "description": description, "rank": rank, "alpha": 16.0,
        "evaluation": {"style_base": 0.4, "style_adapter": 0.9}}))
    return path


class AdapterFake(FakeGenerator):
    """A fake model that takes adapters: its reply depends on the active one."""

    def __init__(self, path: Path, replies: dict[str | None, str]) -> None:
        super().__init__(lambda messages: replies[self.adapter])
        self.path = path
        self.adapter: str | None = None
        self.adapter_scale = 1.0
        self.swaps: list[tuple[str | None, float]] = []

    def set_adapter(self, path: Path | None, scale: float = 1.0, name: str | None = None) -> float:
        self.adapter = None if path is None else (name or path.stem)
        self.adapter_scale = scale
        self.swaps.append((self.adapter, scale))
        return 0.01

    def stream(self, messages: Sequence[dict], max_tokens: int, temperature: float) -> Iterator[str]:
        yield from super().stream(messages, max_tokens, temperature)


@pytest.fixture
def models(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A models folder with a toy base model (the one answers use), ``brief`` and ``memo`` that fit it, and
    ``wide`` and ``qwen`` that do not."""
    folder = tmp_path / "models"
    base = base_model(folder)
    adapters = folder / "adapters"
    adapter_file(adapters, "brief", description="Three bullets.")
    adapter_file(adapters, "memo", description="Summary and findings.")
    adapter_file(adapters, "wide", out_q=2 * WIDTH)
    adapter_file(adapters, "qwen", arch="qwen2")
    monkeypatch.setenv("ARCHIVIST_MODELS_DIR", str(folder))
    monkeypatch.setenv("ARCHIVIST_ANSWER__MODEL_PATH", str(base))
    return folder


@pytest.fixture
def run(models: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    embedder = FakeEmbedder()
    replies = {None: "The Zephyr service listens on port 7431 [1].",
               "brief": "- The Zephyr service listens on port 7431 [1].",
               "memo": "Summary: The Zephyr service listens on port 7431 [1]."}
    made: list[AdapterFake] = []

    def generator(settings, model=None):  # noqa: ANN001, ANN202
        made.append(AdapterFake(models / "toy-llama.gguf", replies))
        return made[-1]

    monkeypatch.setattr("archivist.app.models.default_embedder", lambda paths, settings: embedder)
    monkeypatch.setattr("archivist.app.models.default_generator", generator)
    runner = CliRunner()

    def invoke(*args: str):  # noqa: ANN202
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        result.generators = made  # type: ignore[attr-defined]
        return result

    return invoke


@pytest.fixture
def indexed(run, tmp_path: Path):  # noqa: ANN001, ANN201
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "zephyr.md").write_text("# Zephyr\n\nThe Zephyr service listens on port 7431.\n")
    assert run("add", str(docs)).exit_code == 0
    assert run("index").exit_code == 0
    return run


def _error_line(result) -> str:  # noqa: ANN001
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output
    return lines[0]


# -- registry and fit ------------------------------------------------------------------------------------------

def test_list_is_a_table_of_names_that_says_which_fit(run) -> None:
    result = run("adapters", "list")
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("NAME")
    rows = {line.split()[0]: line for line in lines[1:]}
    assert sorted(rows) == ["brief", "memo", "qwen", "wide"]
    assert " yes " in rows["brief"] and " no " in rows["wide"] and " no " in rows["qwen"]
    assert "Three bullets." in rows["brief"] and "0.40->0.90" in rows["brief"]
    data = json.loads(run("adapters", "list", "--json").stdout)
    assert {a["name"]: a["fits"] for a in data["adapters"]} == {"brief": True, "memo": True, "qwen": False,
                                                                "wide": False}


def test_show_prints_the_metadata_and_the_fit(run) -> None:
    out = run("adapters", "show", "memo").stdout
    assert "Summary and findings." in out and "rank 2" in out and "fits" in out and "yes" in out
    data = json.loads(run("adapters", "show", "wide", "--json").stdout)
    assert data["fits_model"]["fits"] is False and "attn_q" in data["fits_model"]["problems"][0]


def test_an_adapter_that_does_not_fit_is_refused_listing_those_that_do(run) -> None:
    for name, why in (("wide", "16x8"), ("qwen", "qwen2 architecture")):
        line = _error_line(run("adapters", "use", name))
        assert "Adapter error" in line and why in line and "Adapters that fit it: brief, memo" in line


def test_an_unknown_adapter_is_refused_listing_the_registered_ones(run) -> None:
    line = _error_line(run("adapters", "show", "legalese"))
    assert "no adapter called 'legalese'" in line and "brief, memo, qwen, wide" in line


def test_use_remembers_the_choice_per_profile_and_none_clears_it(run, home: Path) -> None:
    assert "adapter brief at scale 0.5" in run("adapters", "use", "brief", "--scale", "0.5").stdout
    rows = {line.split()[0]: line for line in run("adapters", "list").stdout.splitlines()[1:]}
    assert "*" in rows["brief"] and "*" not in rows["memo"]
    file = home / "config" / "adapter.json"
    assert load_choice(file) == Choice("brief", 0.5) and load_choice(file, "legal") == Choice()
    assert "no adapter" in run("adapters", "use", "none").stdout
    assert load_choice(file) == Choice()


def test_choices_of_other_profiles_are_kept(tmp_path: Path) -> None:
    file = tmp_path / "adapter.json"
    save_choice(file, Choice("memo"), "legal")
    save_choice(file, Choice("brief", 2.0), "ops")
    assert load_choice(file, "legal") == Choice("memo") and load_choice(file, "ops") == Choice("brief", 2.0)
    file.write_text("{not json")
    with pytest.raises(AdapterError, match="unreadable"):
        load_choice(file, "ops")


def test_register_copies_file_and_sidecar_and_refuses_to_overwrite(tmp_path: Path) -> None:
    source = adapter_file(tmp_path / "out", "fresh")
    registry = Registry(tmp_path / "registry")
    info = registry.register(source, AdapterInfo("fresh", source, description="new", rank=2))
    assert info.path.read_bytes() == source.read_bytes()
    assert json.loads(info.sidecar.read_text())["description"] == "new"
    assert [a.name for a in registry.list()] == ["fresh"]
    assert not list(registry.folder.glob(".*"))  # no temporary file left behind
    with pytest.raises(AdapterError, match="already exists"):
        registry.register(source, AdapterInfo("fresh", source))
    with pytest.raises(AdapterError, match="cannot name"):
        registry.register(source, AdapterInfo("none", source))


# -- answering with an adapter ---------------------------------------------------------------------------------

def test_ask_with_an_adapter_answers_in_its_style(indexed) -> None:
    result = indexed("ask", "--json", "--adapter", "brief", "What port does the Zephyr service listen on?")
    assert result.exit_code == 0, result.output
    assert result.generators[-1].swaps == [("brief", 1.0)]
    assert result.generators[-1].adapter == "brief"
    plain = indexed("ask", "--json", "What port does the Zephyr service listen on?")
    assert plain.generators[-1].swaps == []  # nothing chosen: the bare model


def test_the_chosen_adapter_applies_until_overridden(indexed) -> None:
    indexed("adapters", "use", "memo", "--scale", "0.8")
    result = indexed("ask", "--json", "What port does the Zephyr service listen on?")
    assert result.generators[-1].swaps == [("memo", 0.8)]
    result = indexed("ask", "--json", "--adapter", "none", "What port does the Zephyr service listen on?")
    assert result.generators[-1].swaps == []
    result = indexed("ask", "--json", "--adapter-scale", "2", "What port does the Zephyr service listen on?")
    assert result.generators[-1].swaps == [("memo", 2.0)]


def test_ask_with_an_unknown_or_unfit_adapter_is_one_line_exit_2(indexed) -> None:
    line = _error_line(indexed("ask", "--adapter", "nosuch", "What port?"))
    assert "nosuch" in line and "brief" in line
    line = _error_line(indexed("ask", "--adapter", "wide", "What port does the Zephyr service listen on?"))
    assert "does not fit" in line and "brief, memo" in line


# -- style checks ----------------------------------------------------------------------------------------------

def test_style_checks_score_the_declared_format() -> None:
    brief = StyleChecks.from_dict({"regex": [r"^- .+\[\d+\]"], "min_bullets": 1, "max_bullets": 3,
                                   "max_chars": 200, "cite": True})
    good = "- Port 7431 [1].\n- Snapshots every six hours [1]."
    prose = "The service listens on port 7431 and writes snapshots every six hours, according to the runbook."
    assert brief.score(good) == 1.0
    assert brief.score(prose) < 0.5
    assert brief.results("- a [1]\n- b [1]\n- c [1]\n- d [1]")["at most 3 bullets"] is False
    memo = StyleChecks.from_dict({"sections": ["Summary", "Findings"]})
    assert memo.score("Summary: x [1].\nFindings: y [1].") == 1.0
    assert memo.score("Findings: y.\nSummary: x.") == 0.0  # the order is part of the format
    schema = StyleChecks.from_dict({"json_schema": {"type": "object", "required": ["answer"]}})
    assert schema.score('{"answer": "7431"}') == 1.0 and schema.score("7431") == 0.0
    assert mean_score(brief, [good, prose]) == pytest.approx((1.0 + brief.score(prose)) / 2)


def test_bad_style_checks_name_the_problem() -> None:
    with pytest.raises(Exception, match="unknown check"):
        StyleChecks.from_dict({"max_words": 3})
    with pytest.raises(Exception, match="not a valid regular expression"):
        StyleChecks.from_dict({"regex": ["(unclosed"]})


# -- the converter's layout ------------------------------------------------------------------------------------

def test_rotary_rows_interleave_the_halves_of_each_head() -> None:
    heads, dim = 2, 6
    weight = np.arange(heads * dim, dtype=np.float32)[:, None] * np.ones((1, 3), dtype=np.float32)
    out = rotary_rows(weight, heads)
    half = dim // 2
    for h in range(heads):
        for i in range(2):
            for j in range(half):
                assert out[h * dim + 2 * j + i, 0] == weight[h * dim + i * half + j, 0]


def test_peft_weights_get_llama_cpp_names_and_only_q_k_b_are_reordered() -> None:
    rng = np.random.default_rng(0)
    prefix = "base_model.model.model.layers.3.self_attn"
    state = {f"{prefix}.{p}.lora_{w}.weight": rng.standard_normal((8, 2) if w == "B" else (2, 8)).astype(np.float32)
             for p in ("q_proj", "k_proj", "v_proj", "o_proj") for w in ("A", "B")}
    out = gguf_tensors(state, architecture="llama", n_head=2, n_head_kv=1)
    assert sorted(out) == sorted(f"blk.3.{t}.weight.lora_{w}" for t in ("attn_q", "attn_k", "attn_v", "attn_output")
                                 for w in "ab")
    assert np.array_equal(out["blk.3.attn_q.weight.lora_b"], rotary_rows(state[f"{prefix}.q_proj.lora_B.weight"], 2))
    assert np.array_equal(out["blk.3.attn_k.weight.lora_b"], rotary_rows(state[f"{prefix}.k_proj.lora_B.weight"], 1))
    assert np.array_equal(out["blk.3.attn_v.weight.lora_b"], state[f"{prefix}.v_proj.lora_B.weight"])
    assert np.array_equal(out["blk.3.attn_q.weight.lora_a"], state[f"{prefix}.q_proj.lora_A.weight"])
    other = gguf_tensors(state, architecture="qwen2", n_head=2, n_head_kv=1)
    assert np.array_equal(other["blk.3.attn_q.weight.lora_b"], state[f"{prefix}.q_proj.lora_B.weight"])
    with pytest.raises(AdapterError, match="Cannot convert"):
        gguf_tensors({f"{prefix}.q_proj.weight": np.zeros((2, 2))}, architecture="llama", n_head=2, n_head_kv=1)


# -- the promotion gate ----------------------------------------------------------------------------------------

def test_promotion_needs_better_style_and_no_less_grounding() -> None:
    from archivist.adapters.evaluate import Evaluation

    better = Evaluation(8, style_base=0.5, style_adapter=0.9, supported_base=0.80, supported_adapter=0.79)
    assert better.promotable and "promotable" in better.verdict()
    less_grounded = Evaluation(8, 0.5, 0.9, supported_base=0.80, supported_adapter=0.70)
    assert not less_grounded.promotable and "less supported" in less_grounded.verdict()
    same_style = Evaluation(8, 0.5, 0.52, supported_base=0.8, supported_adapter=0.8)
    assert not same_style.promotable and "did not improve" in same_style.verdict()
    unchecked = Evaluation(8, 0.5, 0.9)
    assert not unchecked.promotable and "did not run" in unchecked.verdict()
    assert better.to_json()["promoted"] is False  # set only once it is registered
