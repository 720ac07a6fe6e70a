"""The engine: model cards, encoders, comparison, metrics, gallery. No Qt, no torch."""
