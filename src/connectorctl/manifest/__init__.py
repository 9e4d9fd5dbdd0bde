"""Load: manifest files → YAML nodes with positions → ${VAR} → schema check → Desired | Problem."""
