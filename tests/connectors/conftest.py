"""Fixtures shared by the connector tests."""

from tests.peers.postgres import postgres_url as postgres_url
from tests.peers.scim import scim_server as scim_server
from tests.peers.scim import scim_tenant as scim_tenant
from tests.peers.slapd import ldap_subtree as ldap_subtree
from tests.peers.slapd import slapd as slapd
from tests.peers.slapd import slapd_tls as slapd_tls
