"""Shared by the make_notebook_*.py scripts: cells and the notebook file."""

import nbformat as nbf

md, code = nbf.v4.new_markdown_cell, nbf.v4.new_code_cell


def write(cells, path: str) -> None:
    """A notebook of ``cells`` for the default Python 3 kernel, unexecuted."""
    nb = nbf.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbf.write(nb, path)
