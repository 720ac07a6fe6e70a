"""The Qt window: a shell of views (Compare first) over the shared engine in ``siamgui.core``."""
