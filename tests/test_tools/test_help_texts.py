"""Every tool's module docstring (its --help text) shows its example commands as written: a backslash at a line's
end in a non-raw docstring joins the lines, and the example comes out as one line with a run of spaces inside."""
import ast
import glob
import os.path as osp
import re

from conftest import REPO


def test_example_commands_keep_their_line_breaks():
    joined = []
    for path in sorted(glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True)):
        doc = ast.get_docstring(ast.parse(open(path).read()), clean=False) or ''
        joined += [f'{osp.relpath(path, REPO)}: {line.strip()[:80]}' for line in doc.splitlines()
                   if re.search(r'\S {4,}--\w', line)]
    assert not joined, 'lines joined by a backslash in a non-raw docstring (make it r"""..."""):\n' + '\n'.join(joined)
