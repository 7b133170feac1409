"""Layering of the dbt project, from the parsed manifest: staging and intermediate models never
read a mart (run `dbt parse` first; `make test` does)."""

import json
import re
import subprocess

import pytest
import yaml

from tiering.project import PROJECT_DIR

pytestmark = pytest.mark.fast

MANIFEST = PROJECT_DIR / "target" / "manifest.json"
LOWER_LAYERS = ("models/staging/", "models/intermediate/")


def marts_read_below(manifest: dict) -> list[tuple[str, str]]:
    """(model, mart) for every staging or intermediate model that depends on a model under models/marts."""
    nodes = manifest["nodes"]
    marts = {
        k
        for k, n in nodes.items()
        if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")
    }
    return sorted(
        (n["name"], nodes[parent]["name"])
        for n in nodes.values()
        if n["resource_type"] == "model" and n["original_file_path"].startswith(LOWER_LAYERS)
        for parent in n["depends_on"]["nodes"]
        if parent in marts
    )


def model(name: str, path: str, parents: list[str]) -> tuple[str, dict]:
    node = {"name": name, "resource_type": "model", "original_file_path": path, "depends_on": {"nodes": parents}}
    return f"model.p.{name}", node


def test_a_lower_model_reading_a_mart_is_found():
    nodes = dict(
        [
            model("customer_tiers", "models/marts/tiers/customer_tiers.sql", ["model.p.int_a"]),
            model("int_a", "models/intermediate/int_a.sql", []),
            model("int_b", "models/intermediate/history/int_b.sql", ["model.p.customer_tiers", "model.p.int_a"]),
            model("stg_c", "models/staging/stg_c.sql", ["model.p.customer_tiers"]),
            model("semantic_d", "models/semantic/semantic_d.sql", ["model.p.customer_tiers"]),
        ]
    )
    assert marts_read_below({"nodes": nodes}) == [("int_b", "customer_tiers"), ("stg_c", "customer_tiers")]


def test_no_staging_or_intermediate_model_reads_a_mart():
    assert MANIFEST.exists(), "run `dbt parse` (make manifest) first"
    manifest = json.loads(MANIFEST.read_text())
    lower = [n for n in manifest["nodes"].values() if n["original_file_path"].startswith(LOWER_LAYERS)]
    assert any(n["name"] == "int_tier_snapshot" for n in lower)  # the manifest is this project's
    assert marts_read_below(manifest) == []


def readme_layout_folders(readme: str) -> set[str]:
    """Top-level folders the README's layout table names (`models/...` counts as `models`)."""
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return {cell.split("/")[0] for cell in re.findall(r"^\| `([^`]+)` \|", section, flags=re.M)}


def test_readme_layout_names_every_top_level_folder_and_no_other():
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    folders = {path.split("/")[0] for path in tracked.stdout.splitlines() if "/" in path}
    folders -= {f for f in folders if f.startswith(".")}  # .ci and tool settings
    assert readme_layout_folders((PROJECT_DIR / "README.md").read_text()) == folders


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(k, deep=deep) for k, _ in node.value]
        repeated = sorted({k for k in keys if keys.count(k) > 1}, key=str)
        if repeated:
            raise yaml.constructor.ConstructorError(None, None, f"repeated key {repeated}", node.start_mark)
        return super().construct_mapping(node, deep)


def repeated_keys(text: str) -> str | None:
    """The error of a YAML text that gives a key twice in one mapping, else None."""
    try:
        yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.constructor.ConstructorError as e:
        return str(e)
    return None


def test_a_repeated_yaml_key_is_found():
    assert "repeated key ['data_tests']" in repeated_keys("m:\n  data_tests: [a]\n  columns: []\n  data_tests: [b]\n")
    assert repeated_keys("m:\n  data_tests: [a]\n  columns: [{data_tests: [b]}]\n") is None  # nested: another mapping


def test_no_dbt_yaml_gives_a_key_twice():
    """A key given twice (e.g. a model's data_tests) silently drops the first: its tests never run."""
    files = [PROJECT_DIR / "dbt_project.yml", *sorted(PROJECT_DIR.glob("models/**/*.yml"))]
    files += sorted(PROJECT_DIR.glob("seeds/**/*.yml")) + sorted(PROJECT_DIR.glob("tests/dbt/**/*.yml"))
    errors = {f.relative_to(PROJECT_DIR).as_posix(): repeated_keys(f.read_text()) for f in files}
    assert {f: e for f, e in errors.items() if e} == {}
