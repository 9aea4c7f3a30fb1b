"""Fixtures shared by the connector tests."""

from tests.peers.slapd import ldap_subtree as ldap_subtree
from tests.peers.slapd import slapd as slapd
