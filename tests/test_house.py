"""The house rules of issue 14 hold: no import cycle between modules or packages, no
package reaching into another's private module, the layout's forbidden imports absent
(a backend never imports the journal or tracking, the journal never imports tracking, the
project file never imports a backend, the library never imports a screen), and no module
over the size limits (`scripts/house.py` prints the same figures)."""

from __future__ import annotations

import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import house


def test_no_module_or_package_cycle_and_every_house_rule_holds() -> None:
    g = house.graph()
    assert house.problems(g) == []
    rooms = house.package_graph(g)
    assert all(len(comp) == 1 for comp in house.strongly_connected(rooms))


def test_the_checker_sees_a_cycle_and_a_private_import() -> None:
    g = {
        "takelab.a": {"takelab.b"},
        "takelab.b": {"takelab.a", "takelab.journal._x"},
        "takelab.journal._x": set(),
    }
    found = house.problems(g)
    assert any(line.startswith("import cycle: takelab.a <-> takelab.b") for line in found)
    assert any(line.startswith("private: takelab.b imports takelab.journal._x") for line in found)
