"""The rules shared by form, client and sandbox (desktop.rules), on the shared vectors."""

import pytest

from desktop.rules import amount_text_ok, is_loopback_host, routing_number_valid
from tests.support.vectors import (
    LOOPBACK_HOSTS,
    NOT_LOOPBACK_HOSTS,
    ROUTING_INVALID,
    ROUTING_VALID,
)


@pytest.mark.parametrize("number", ROUTING_VALID)
def test_valid_routing_numbers(number):
    assert routing_number_valid(number)


@pytest.mark.parametrize("number", ROUTING_INVALID)
def test_invalid_routing_numbers(number):
    assert not routing_number_valid(number)


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_loopback_hosts(host):
    assert is_loopback_host(host)


@pytest.mark.parametrize("host", NOT_LOOPBACK_HOSTS)
def test_not_loopback_hosts(host):
    assert not is_loopback_host(host)


@pytest.mark.parametrize("text", ["0", "10", "10.5", "0.000001", "9" * 40])
def test_amount_text_accepted(text):
    assert amount_text_ok(text)


@pytest.mark.parametrize(
    "text", ["10\n", "10.5\n", " 10", "1e5", "1E+100000000", "-1", "1.", ".5", "", "9" * 41, 10]
)
def test_amount_text_refused(text):
    assert not amount_text_ok(text)
