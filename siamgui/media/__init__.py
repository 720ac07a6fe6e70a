"""Turning files, frames and audio into encoder inputs. No Qt, no torch."""
