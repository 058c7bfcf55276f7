"""Names said alike share an index key; names said differently do not."""

from __future__ import annotations

import pytest

from engine.patterns.names import name_keys, similarity


@pytest.mark.parametrize("a, b", [("Rhys Jones", "Reece Jones"), ("Jayden Smith", "Jaiden Smyth"),
                                  ("Leighton Price", "Layton Price"), ("Kyle Wyck", "Kyle Wick")])
def test_spellings_said_alike_share_a_key_and_match(a, b):
    assert name_keys(a) == name_keys(b)
    assert similarity(a, b) == 1.0


@pytest.mark.parametrize("a, b", [("Ryan Jones", "Reece Jones"), ("Sam Lee", "Tom Lee"), ("Amy Hart", "Amir Hart")])
def test_names_said_differently_do_not(a, b):
    assert name_keys(a) != name_keys(b)
    assert similarity(a, b) < 0.97
