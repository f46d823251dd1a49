"""HTTP layers: one package per dialect, each translating its wire format to the services."""
