"""Pipelines the CLI and the UI share, above the engine (core) and the media layer, below the views.

``live``: camera frames and microphone chunks in, verdicts out (threads, latest-wins).
``calibration``: pairs from a folder or CSV, their distances, ROC and a threshold.
``enrolment``: enrol people into the gallery and identify queries against it.
No Qt here: views bind to these objects and receive results by callback.
"""
