"""The Python examples of README.md (the code blocks after a
"<!-- python-example -->" line) run as they are, each in a fresh folder
where fixtures/ is the repository's."""
import os
import re
import runpy

import pytest

from conftest import FIXTURES, ROOT


def examples():
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    return re.findall(r"<!-- python-example -->\n```python\n(.*?)```", text, re.S)


def test_readme_has_examples():
    assert len(examples()) >= 3


@pytest.mark.parametrize("i", range(len(examples())))
def test_readme_example(i, tmp, monkeypatch, capsys):
    os.symlink(FIXTURES, tmp / "fixtures")
    (tmp / "example.py").write_text(examples()[i])
    monkeypatch.chdir(tmp)
    runpy.run_path(str(tmp / "example.py"), run_name="__main__")
    out = capsys.readouterr().out
    # the outputs the examples announce in their comments
    for line in examples()[i].splitlines():
        m = re.match(r"print\(.*\)\s+# (.*)$", line.strip())
        if m and "..." not in m.group(1) and ":" not in m.group(1):
            assert m.group(1).split(" ")[0] in out, m.group(1)
