"""Fixtures of the end-to-end tests: real peers (slapd, scim2-server) started by the suite itself."""

from tests.peers.scim import scim_server as scim_server
from tests.peers.scim import scim_tenant as scim_tenant
from tests.peers.slapd import ldap_subtree as ldap_subtree
from tests.peers.slapd import slapd as slapd
