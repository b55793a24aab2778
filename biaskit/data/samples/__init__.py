"""Sample articles written by the biaskit team for demos and tests."""
