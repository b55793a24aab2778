"""The default model and its card, built by `biaskit train` from corpora/."""
