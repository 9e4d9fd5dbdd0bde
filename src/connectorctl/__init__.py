"""connectorctl: declarative management of commercetools Connect ConnectorStaged resources."""

__version__ = "0.1.0"
