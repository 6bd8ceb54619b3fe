"""Refresh the generated parts of README.md (the model table) from the registry.

    python docs/update_readme.py
"""

from pathlib import Path

from vaelab.models.registry import markdown_table

START, END = "<!-- models table: vaelab models --markdown -->\n", "\n<!-- end models table -->"

readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text()
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
readme.write_text(head + START + markdown_table() + END + tail)
print(f"updated {readme}")
