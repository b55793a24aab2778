"""Punkt parameters written by the biaskit team (see the comment header of each file)."""
