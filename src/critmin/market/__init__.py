"""The market model: baseline, clearing, propagation."""
