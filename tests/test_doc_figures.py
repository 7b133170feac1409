"""The sample's figures quoted in docs/ are the figures a build of the sample gives
(devtools/doc_figures.py; `make doc-figures` rewrites them)."""

import pytest
from conftest import shared_build

from devtools.doc_figures import RENDERERS, blocks, doc_files, rendered, rewrite
from tiering.landing import default_as_of, take_inventory
from tiering.project import SAMPLE_LANDING


@pytest.mark.fast
def test_rewrite_fills_blocks_and_keeps_a_list_items_indent():
    text = "a\n  <!-- figures:x -->\n  old\n  <!-- /figures -->\nb\n<!-- figures:y -->\n<!-- /figures -->\n"
    new = rewrite(text, {"x": "one\ntwo\n", "y": "three\n"})
    assert (
        new
        == "a\n  <!-- figures:x -->\n  one\n  two\n  <!-- /figures -->\nb\n<!-- figures:y -->\nthree\n<!-- /figures -->\n"
    )
    assert blocks(new) == {"x": "one\ntwo\n", "y": "three\n"}


def test_docs_quote_the_figures_of_the_sample(tmp_path_factory):
    as_of = default_as_of(take_inventory(SAMPLE_LANDING))
    figures = rendered(shared_build(tmp_path_factory, f"sample-{as_of}", SAMPLE_LANDING, as_of))
    quoted = [(doc.name, name, body) for doc in doc_files() for name, body in blocks(doc.read_text()).items()]
    assert {name for _, name, _ in quoted} == set(RENDERERS), "every rendered block is quoted in a doc"
    stale = [f"{doc}: {name}" for doc, name, body in quoted if body != figures[name]]
    assert not stale, f"figures typed by hand or stale (run make doc-figures): {stale}"
