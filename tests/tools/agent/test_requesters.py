"""Who asked: a readable label that still names the Odoo login, and the login taken back out of it."""

from __future__ import annotations

import pytest

from ledgerpilot.tools.agent.requesters import asker_label, requester_login


@pytest.mark.parametrize("name,login,label", [
    ("Colin Clerk", "clerk", "Colin Clerk (clerk)"),
    ("Jo (Finance) Smith", "jo@example.com", "Jo (Finance) Smith (jo@example.com)"),
    ("  Chloe   Controller ", "controller", "Chloe Controller (controller)"),
    ("", "controller", "controller"),
    ("controller", "controller", "controller"),
])
def test_a_label_names_the_person_and_keeps_the_login(name, login, label):
    assert asker_label(name, login) == label
    assert requester_login(label) == login


@pytest.mark.parametrize("asker", ["controller", "cfo@example.com", ""])
def test_a_plain_login_is_its_own_requester(asker):
    assert requester_login(asker) == asker
