"""`python -m connectorctl`."""

from connectorctl.cli import main

if __name__ == "__main__":
    main()
