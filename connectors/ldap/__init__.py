"""The ``ldap`` connector (python-ldap, an optional extra: ``pip install 'idsync[ldap]'``).

python-ldap is imported only inside this package. Job file settings: see ``_settings``; behaviour: see
``_connector`` (reads, references, writes) and ``_sync`` (watermarks, deletions).
"""

from ._connector import LdapConnector as LdapConnector

__all__ = ["LdapConnector"]
