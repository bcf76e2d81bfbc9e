"""The Python examples of README.md (the code blocks after a
"<!-- python-example -->" line) run as they are, each in a fresh folder
where fixtures/ is the repository's.  Examples marked
"<!-- python-example: torch -->" need PyTorch, which is not a dependency:
they are skipped, saying so, when it is not installed."""
import os
import re
import runpy

import pytest

from conftest import FIXTURES, ROOT


def examples():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.findall(r"<!-- python-example(?:: (torch))? -->\n```python\n(.*?)```", text, re.S)


def test_readme_has_examples():
    assert len(examples()) >= 3


@pytest.mark.parametrize("i", range(len(examples())))
def test_readme_example(i, tmp, monkeypatch, capsys):
    needs, code = examples()[i]
    if needs == "torch":
        pytest.importorskip("torch", reason="PyTorch is not installed: the README's PyTorch "
                            "example is not run (test_layouts.py checks the layouts without it)")
    os.symlink(FIXTURES, tmp / "fixtures")
    (tmp / "example.py").write_text(code)
    monkeypatch.chdir(tmp)
    runpy.run_path(str(tmp / "example.py"), run_name="__main__")
    out = capsys.readouterr().out
    # the outputs the examples announce in their comments
    for line in code.splitlines():
        m = re.match(r"print\(.*\)\s+# (.*)$", line.strip())
        if m and "..." not in m.group(1) and ":" not in m.group(1):
            assert m.group(1).split(" ")[0] in out, m.group(1)
